/**
 * A remote server's diagnostic as we keep it: one line, at most 500 characters, every e-mail
 * address masked. Diagnostics quote the participant's address ("550 5.1.1 <jo@example.org>:
 * user unknown") and go to the ledger, logs and Slack, where addresses must never appear.
 */
import { maskAddressesInText, maskEmail } from '../util/mask.js';

export const MAX_DIAGNOSTIC_CHARS = 500;

// What maskAddressesInText leaves: addresses at a dotless domain (jo@localhost) or an odd TLD.
const LEFTOVER_ADDRESS = /[^\s<>"'(),;:*]+@[^\s<>"'(),;:]+/g;

export function cleanDiagnostic(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // Mask before cutting, so a cut can never leave the start of an address unmasked.
  const oneLine = raw
    .slice(0, 4 * MAX_DIAGNOSTIC_CHARS)
    .replace(/\s+/g, ' ')
    .trim();
  const masked = maskAddressesInText(oneLine).replace(LEFTOVER_ADDRESS, (match) => maskEmail(match));
  const cut = masked.length > MAX_DIAGNOSTIC_CHARS ? `${masked.slice(0, MAX_DIAGNOSTIC_CHARS - 1)}…` : masked;
  return cut === '' ? undefined : cut;
}
