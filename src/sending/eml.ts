/**
 * Reads the envelope back out of a stored .eml, so that what is sent, recipient included, is
 * exactly what was previewed. Only our own composer's output is read here, after its hash has
 * been checked against the ledger.
 */
export interface StoredEnvelope {
  from: string;
  to: string;
}

function headerBlock(bytes: Buffer): string {
  const end = bytes.indexOf('\r\n\r\n');
  return bytes
    .subarray(0, end === -1 ? bytes.length : end)
    .toString('latin1')
    .replace(/\r\n[ \t]+/g, ' ');
}

function addressOf(value: string): string | undefined {
  const angled = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (angled) return angled[1];
  const bare = /^\s*([^<>\s]+@[^<>\s]+)\s*$/.exec(value);
  return bare?.[1];
}

export function envelopeOf(bytes: Buffer): StoredEnvelope | undefined {
  let from: string | undefined;
  let to: string | undefined;
  for (const line of headerBlock(bytes).split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    // Return-Path (our composer writes it first when MAIL_RETURN_PATH is set) is the envelope sender.
    if (name === 'return-path' && from === undefined) from = addressOf(line.slice(colon + 1));
    if (name === 'from' && from === undefined) from = addressOf(line.slice(colon + 1));
    if (name === 'to' && to === undefined) to = addressOf(line.slice(colon + 1));
  }
  return from !== undefined && to !== undefined ? { from, to } : undefined;
}

/**
 * The bytes as they go over SMTP: without the leading Return-Path line (RFC 5321 4.4: the final
 * delivery MTA writes it; a sender should not). Everything else is exactly the preview.
 */
export function wireBytes(bytes: Buffer): Buffer {
  if (bytes.subarray(0, 12).toString('latin1').toLowerCase() !== 'return-path:') return bytes;
  const end = bytes.indexOf('\r\n');
  return end === -1 ? bytes : bytes.subarray(end + 2);
}
