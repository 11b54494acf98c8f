/**
 * Reads one untrusted message (anyone can mail the bounce mailbox) into the few things the
 * classifier looks at, with every piece bounded: mailparser's own limits on parts and header
 * size, HTML converted to text only up to a size, and each text we scan cut to a fixed length.
 * Callers check the whole message's size before this (classify.ts).
 */
import { type Attachment, simpleParser } from 'mailparser';

/** Characters of body text scanned for bounce wording and quoted headers. */
export const MAX_TEXT_CHARS = 64 * 1024;
/** Characters kept of each delivery-status part and of each returned header block. */
const MAX_PART_CHARS = 32 * 1024;
/** Returned-header parts looked at (a DSN has one; more is noise or abuse). */
const MAX_RETURNED_PARTS = 4;

export interface ReadMessage {
  /** Every value of a top-level header (lower-case name), unfolded, not decoded. */
  header(name: string): string[];
  subject: string;
  /** Address in From, lower case. */
  fromAddress: string | undefined;
  /** Plain text of the body (HTML converted when there is no text part), at most MAX_TEXT_CHARS. */
  text: string;
  /** `message/delivery-status` and `message/global-delivery-status` parts. */
  deliveryStatus: string[];
  /** Header blocks of the returned message (text/rfc822-headers, message/rfc822, message/global[-headers]). */
  returnedHeaders: string[];
}

const DELIVERY_STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_HEADER_TYPES = new Set([
  'text/rfc822-headers',
  'message/rfc822-headers',
  'message/global-headers',
  'message/rfc822',
  'message/global',
]);

/** The header section of a part that holds a whole message or just its headers. */
function headerSection(content: Buffer): string {
  const text = content.subarray(0, MAX_PART_CHARS).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

function partText(attachment: Attachment): string {
  return attachment.content.subarray(0, MAX_PART_CHARS).toString('utf8');
}

export async function readMessage(raw: Buffer): Promise<ReadMessage> {
  const mail = await simpleParser(raw, {
    keepDeliveryStatus: true, // as an attachment we can parse, not mixed into the text
    ignoreEmbedded: true, // a returned message stays one part: we read its headers only
    maxHtmlLengthToParse: 256 * 1024,
    maxChildNodes: 100,
    maxHeadSize: 256 * 1024,
    skipTextToHtml: true,
    skipImageLinks: true,
    keepCidLinks: true,
    checksumAlgo: false,
  });
  const headers = new Map<string, string[]>();
  for (const { key, line } of mail.headerLines) {
    const colon = line.indexOf(':');
    const value = line
      .slice(colon + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    const values = headers.get(key);
    if (values === undefined) headers.set(key, [value]);
    else values.push(value);
  }
  const attachments = mail.attachments.map((a) => ({ type: a.contentType.toLowerCase(), a }));
  return {
    header: (name) => headers.get(name.toLowerCase()) ?? [],
    subject: (mail.subject ?? '').slice(0, 1000),
    fromAddress: mail.from?.value[0]?.address?.toLowerCase(),
    text: (mail.text ?? '').slice(0, MAX_TEXT_CHARS),
    deliveryStatus: attachments.filter(({ type }) => DELIVERY_STATUS_TYPES.has(type)).map(({ a }) => partText(a)),
    returnedHeaders: attachments
      .filter(({ type }) => RETURNED_HEADER_TYPES.has(type))
      .slice(0, MAX_RETURNED_PARTS)
      .map(({ a }) => headerSection(a.content)),
  };
}
