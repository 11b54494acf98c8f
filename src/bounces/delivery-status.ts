/**
 * The machine-readable part of an RFC 3464 DSN (`message/delivery-status`, or RFC 6533's
 * `message/global-delivery-status`): one block of per-message fields, then one block per
 * recipient, blocks separated by blank lines, each field `Name: value` with folded lines.
 */

export interface FieldBlock {
  /** Field values by lower-case name; the first occurrence wins. */
  get(name: string): string | undefined;
}

export interface RecipientStatus {
  /** The address from Original-Recipient, else Final-Recipient (the `rfc822;` type removed). */
  address: string | undefined;
  /** `failed` | `delayed` | `delivered` | `relayed` | `expanded`, lower case. */
  action: string | undefined;
  /** The enhanced status code (RFC 3463), e.g. `5.1.1`, without any comment. */
  status: string | undefined;
  /** Diagnostic-Code with its type (`smtp;`) removed; raw: may hold addresses. */
  diagnostic: string | undefined;
}

export interface DeliveryStatus {
  reportingMta: string | undefined;
  arrivalDate: string | undefined;
  /** Postfix's extension: the envelope sender of the returned message. */
  postfixSender: string | undefined;
  recipients: RecipientStatus[];
}

function parseBlock(lines: string[]): FieldBlock {
  const fields = new Map<string, string>();
  let name: string | undefined;
  let value = '';
  const flush = (): void => {
    if (name !== undefined && !fields.has(name)) fields.set(name, value.replace(/\s+/g, ' ').trim());
  };
  for (const line of lines) {
    if (/^[ \t]/.test(line) && name !== undefined) {
      value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a field: RFC 3464 has no other line shape, so skip it
    flush();
    name = line.slice(0, colon).trim().toLowerCase();
    value = line.slice(colon + 1);
  }
  flush();
  return { get: (n) => fields.get(n.toLowerCase()) };
}

/** `rfc822; jo@example.org` → `jo@example.org` (any address type is stripped the same way). */
export function withoutType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semicolon = value.indexOf(';');
  const bare = (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim().replace(/^<|>$/g, '');
  return bare === '' ? undefined : bare;
}

const STATUS = /^([245])\.(\d{1,3})\.(\d{1,3})\b/;

export function enhancedStatus(value: string | undefined): string | undefined {
  const match = value === undefined ? null : STATUS.exec(value.trim());
  return match === null ? undefined : `${match[1]}.${match[2]}.${match[3]}`;
}

export function parseDeliveryStatus(text: string): DeliveryStatus {
  const blocks: string[][] = [[]];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (blocks[blocks.length - 1]!.length > 0) blocks.push([]);
    } else {
      blocks[blocks.length - 1]!.push(line);
    }
  }
  const parsed = blocks.filter((b) => b.length > 0).map(parseBlock);
  const perMessage = parsed[0];
  const recipients = parsed
    .slice(1)
    .filter((b) => b.get('final-recipient') !== undefined || b.get('action') !== undefined)
    .map((b) => ({
      address: withoutType(b.get('original-recipient')) ?? withoutType(b.get('final-recipient')),
      action: b.get('action')?.toLowerCase().split(/\s/)[0],
      status: enhancedStatus(b.get('status')),
      diagnostic: withoutType(b.get('diagnostic-code')),
    }));
  return {
    reportingMta: withoutType(perMessage?.get('reporting-mta')),
    arrivalDate: perMessage?.get('arrival-date'),
    postfixSender: withoutType(perMessage?.get('x-postfix-sender')),
    recipients,
  };
}

export type Severity = 'hard' | 'soft';

/**
 * How bad one recipient's outcome is, or undefined when it is no failure at all (delivered,
 * relayed, expanded). 5.x.x is hard; 4.x.x is soft, also when the action is `failed` (given up
 * after retrying a temporary problem: this message is lost, the address is not known dead).
 * Without a usable status, `failed` is hard and `delayed` soft.
 */
export function severityOf(recipient: RecipientStatus): Severity | undefined {
  const { action, status } = recipient;
  if (action === 'delivered' || action === 'relayed' || action === 'expanded') return undefined;
  if (status?.startsWith('5.')) return 'hard';
  if (status?.startsWith('4.')) return 'soft';
  if (action === 'failed') return 'hard';
  if (action === 'delayed') return 'soft';
  return undefined;
}
