/**
 * Header text: mailboxes and the subject as they are written into a message. Every value that
 * reaches a header passes through here, so CR/LF or other control characters from the roster can
 * never start a new header line. Apart from address.ts because of nodemailer's MIME functions,
 * which only composing a message needs (they cost every command about 20 ms to load).
 */
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import { type Mailbox, stripControl } from './address.js';

/** An RFC 5322 mailbox with the display name quoted or RFC 2047-encoded as needed. */
export function formatMailbox(mailbox: Mailbox): string {
  const name = mailbox.name === undefined ? '' : stripControl(mailbox.name);
  if (name === '') return mailbox.address;
  return `${encodeDisplayName(name)} <${mailbox.address}>`;
}

function encodeDisplayName(name: string): string {
  if (!mimeFuncs.isPlainText(name)) return mimeFuncs.encodeWord(name, 'Q', 52);
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) return name;
  return `"${name.replace(/["\\]/g, '\\$&')}"`;
}

/** A header's free-text value (the subject): control characters removed, non-ASCII encoded. */
export function encodeHeaderText(value: string): string {
  const clean = stripControl(value);
  return mimeFuncs.isPlainText(clean) ? clean : mimeFuncs.encodeWords(clean, 'Q', 52);
}
