/**
 * Participants' addresses never reach logs, Slack or send_log.jsonl in full. These helpers keep
 * enough to recognise a typo ("a***@example.org") and nothing more.
 */

export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}

// Deliberately loose: anything that looks like local@domain inside free text (SMTP replies
// often quote the recipient, e.g. "550 5.1.1 <jo@example.org>: user unknown").
const addressInText = /[^\s<>"'(),;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

export function maskAddressesInText(text: string): string {
  return text.replace(addressInText, (match) => maskEmail(match));
}
