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

/** The characters addressPattern allows before the @ (1), on bytes. */
const LOCAL_PART_BYTES = (() => {
  const allowed = new Uint8Array(256);
  const set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-";
  for (let i = 0; i < set.length; i++) allowed[set.charCodeAt(i)] = 1;
  return allowed;
})();

/**
 * isValidEmail of the ASCII bytes from `start` to `end`, without making a string (roster/plain-row.ts):
 * the same pattern written as a loop. A test compares the two on random addresses.
 */
export function isSimpleEmail(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start > 254) return false;
  let i = start;
  for (; i < end && bytes[i] !== 0x40; i++) {
    if (LOCAL_PART_BYTES[bytes[i]!] !== 1) return false;
    if (i > start && bytes[i] === 0x2e && bytes[i - 1] === 0x2e) return false; // ".."
  }
  if (i === start || i === end) return false; // no local part, or no @
  // The domain: labels of letters, digits and inner hyphens, dot-separated; the last one (the
  // top-level domain) letters only, two or more; at least two labels.
  let labels = 0;
  for (let label = i + 1; ; ) {
    let dot = label;
    let lettersOnly = true;
    for (; dot < end && bytes[dot] !== 0x2e; dot++) {
      const b = bytes[dot]!;
      const letter = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;
      if (!letter) lettersOnly = false;
      if (!letter && !(b >= 0x30 && b <= 0x39) && b !== 0x2d) return false;
    }
    if (dot === label || bytes[label] === 0x2d || bytes[dot - 1] === 0x2d) return false;
    labels++;
    if (dot === end) return labels >= 2 && lettersOnly && dot - label >= 2;
    label = dot + 1;
  }
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
