/**
 * Composes one message as the exact RFC 5322 bytes that are previewed (.eml) and later sent.
 *
 * Hand-assembled rather than built with MailComposer: our messages always have the same simple
 * shape (multipart/alternative, text + HTML), and skipping MailComposer's stream machinery makes
 * the dry run several times faster. Header encoding and quoted-printable still come from
 * nodemailer's own helpers. Given the same input, the output is byte-for-byte the same.
 */
import { createHash } from 'node:crypto';
import * as qp from 'nodemailer/lib/qp';
import type { Mailbox } from './address.js';
import { encodeHeaderText, formatMailbox } from './header-text.js';

export interface ComposeInput {
  from: Mailbox;
  to: Mailbox;
  replyTo?: Mailbox | undefined;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  date: Date;
  boundary: string;
  /** Envelope sender, written as the first header (Return-Path) and taken off before sending. */
  returnPath?: string | undefined;
  /** The List-Unsubscribe URIs (RFC 2369), in order of preference: the `mailto:`, then the `https:`. */
  listUnsubscribe?: readonly string[] | undefined;
  /** RFC 8058: `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (only with an https URI above). */
  oneClickUnsubscribe?: boolean | undefined;
  /** Extra X- headers (ASCII values we generate, e.g. the run ID). */
  extraHeaders?: Record<string, string>;
}

const CRLF = '\r\n';

/** Folds a header at spaces so no line is longer than 78 characters where it can be helped. */
export function foldHeader(name: string, value: string): string {
  const words = value.split(' ');
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of words) {
    if (line.length + 1 + word.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = ` ${word}`;
    } else {
      line += ` ${word}`;
    }
  }
  lines.push(line);
  return lines.join(CRLF);
}

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** RFC 5322 date in UTC, e.g. "Tue, 24 Nov 2026 09:00:00 +0000". */
export function rfc5322Date(date: Date): string {
  return `${days[date.getUTCDay()]}, ${two(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

function quotedPrintable(body: string): string {
  const normalised = body.replace(/\r?\n/g, CRLF);
  return qp.wrap(qp.encode(Buffer.from(normalised, 'utf8')), 76);
}

function part(contentType: string, body: string): string {
  return [
    `Content-Type: ${contentType}; charset=utf-8`,
    'Content-Transfer-Encoding: quoted-printable',
    '',
    quotedPrintable(body),
  ].join(CRLF);
}

export function composeMessage(input: ComposeInput): Buffer {
  const headers = [
    ...(input.returnPath === undefined ? [] : [`Return-Path: <${input.returnPath}>`]),
    foldHeader('From', formatMailbox(input.from)),
    foldHeader('To', formatMailbox(input.to)),
    ...(input.replyTo === undefined ? [] : [foldHeader('Reply-To', formatMailbox(input.replyTo))]),
    foldHeader('Subject', encodeHeaderText(input.subject)),
    `Date: ${rfc5322Date(input.date)}`,
    `Message-ID: <${input.messageId}>`,
    'MIME-Version: 1.0',
    // RFC 3834: stops vacation responders from answering an automated message.
    'Auto-Submitted: auto-generated',
    ...(input.listUnsubscribe === undefined || input.listUnsubscribe.length === 0
      ? []
      : [foldHeader('List-Unsubscribe', input.listUnsubscribe.map((uri) => `<${uri}>`).join(', '))]),
    ...(input.oneClickUnsubscribe === true ? ['List-Unsubscribe-Post: List-Unsubscribe=One-Click'] : []),
    ...Object.entries(input.extraHeaders ?? {}).map(
      ([name, value]) => `${name}: ${value.replace(/[^\x20-\x7e]/g, '')}`,
    ),
    `Content-Type: multipart/alternative; boundary="${input.boundary}"`,
  ];
  const message = [
    headers.join(CRLF),
    '',
    `--${input.boundary}`,
    part('text/plain', input.text),
    `--${input.boundary}`,
    part('text/html', input.html),
    `--${input.boundary}--`,
    '',
  ].join(CRLF);
  return Buffer.from(message, 'utf8');
}

/** Where the Date header's value lies in a message's bytes (our composer writes it unfolded). */
function dateValue(bytes: Buffer): { start: number; end: number } | undefined {
  const headerEnd = bytes.indexOf('\r\n\r\n');
  const line = bytes.indexOf('\r\nDate: ');
  if (line === -1 || headerEnd === -1 || line > headerEnd) return undefined;
  const start = line + '\r\nDate: '.length;
  return { start, end: bytes.indexOf('\r\n', start) };
}

/**
 * The preview's hash: every byte except the Date header's value, which is set when the message
 * is sent (DESIGN §9). A marker stands in for the value, so a message without a Date header
 * does not hash like one with it.
 */
export function contentHash(bytes: Buffer): string {
  const date = dateValue(bytes);
  const hash = createHash('sha256');
  if (date === undefined) return hash.update(bytes).digest('hex');
  return hash.update(bytes.subarray(0, date.start)).update('\0date\0').update(bytes.subarray(date.end)).digest('hex');
}

/** The same bytes with the Date header's whole value replaced by `date` (the time of sending). */
export function withDate(bytes: Buffer, date: Date): Buffer {
  const at = dateValue(bytes);
  if (at === undefined) return bytes;
  return Buffer.concat([bytes.subarray(0, at.start), Buffer.from(rfc5322Date(date), 'latin1'), bytes.subarray(at.end)]);
}
