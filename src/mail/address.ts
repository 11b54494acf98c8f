/**
 * Addresses: validation of roster e-mails and settings' mailboxes, with no dependency (validation
 * loads it on every command); header-text.ts formats them for a header.
 */
// Practical, not RFC 5322-complete: one @, a dotted domain with a 2+ letter TLD, no spaces,
// quotes, angle brackets or control characters. Rejecting rare-but-legal forms is the safe side.
const addressPattern = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$/;

export function isValidEmail(address: string): boolean {
  return address.length <= 254 && addressPattern.test(address) && !address.includes('..');
}

export interface Mailbox {
  name?: string;
  address: string;
}

/** Parses `Name <addr>` or a bare address (MAIL_FROM, MAIL_REPLY_TO). */
export function parseMailbox(value: string): Mailbox | undefined {
  const trimmed = value.trim();
  const angled = /^(.*)<([^<>]+)>$/.exec(trimmed);
  if (angled) {
    const address = (angled[2] ?? '').trim();
    const name = stripControl((angled[1] ?? '').trim().replace(/^"(.*)"$/, '$1'));
    return isValidEmail(address) ? (name === '' ? { address } : { name, address }) : undefined;
  }
  return isValidEmail(trimmed) ? { address: trimmed } : undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const controlCharacters = /[\u0000-\u001f\u007f\u2028\u2029]+/g;

/** Control characters (CR, LF, NUL, ...) become spaces; runs of white space collapse. */
export function stripControl(value: string): string {
  return value.replace(controlCharacters, ' ').replace(/ {2,}/g, ' ').trim();
}
