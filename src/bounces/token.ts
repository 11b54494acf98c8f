/**
 * Per-message tags in envelope and unsubscribe addresses (VERP-style, RFC 5233 subaddressing):
 * `bounces+<token>@study.test`. A bounce comes back to the envelope sender, so the tag names the
 * message even when the DSN leaves out the original headers (many do).
 *
 * The token is an HMAC of the run and the DID under a secret we keep: it cannot be guessed or
 * forged (so nobody can mark someone else's address as bounced or unsubscribed), it never shows
 * the DID, and it is made of [a-z2-7] only (lower-case base32), which is safe in any local part
 * and survives MTAs that fold case. 16 characters = 80 bits.
 *
 * The rule for the address: the tag is inserted right after the first `+` of the base address,
 * and a base with no `+` gets one (`bounces@d` and `bounces+@d` both become `bounces+<tag>@d`).
 * Whether to tag at all is the caller's decision (`hasTagSlot`): with `MAIL_RETURN_PATH` that has
 * no `+`, messages go out untagged and bounces are matched by Message-ID only.
 */
import { createHmac } from 'node:crypto';

export const TOKEN_LENGTH = 16;
const TOKEN_SHAPE = /^[a-z2-7]{16}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** Prefix of the tag in unsubscribe addresses: `study+unsub-<token>@…`. */
export const UNSUBSCRIBE_TAG_PREFIX = 'unsub-';

function base32(bytes: Buffer, length: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

function token(secret: string, purpose: string, runId: string, did: string): string {
  if (secret.length < 16) throw new Error('The token secret must be at least 16 characters: use a random value.');
  // NUL separators: no run ID/DID pair can be read as another ("a"+"bc" vs "ab"+"c").
  const mac = createHmac('sha256', secret).update(`${purpose}\0${runId}\0${did}`).digest();
  return base32(mac, TOKEN_LENGTH);
}

/** The envelope-sender tag for one message (run, DID). Deterministic; see the file comment. */
export function returnPathToken(secret: string, runId: string, did: string): string {
  return token(secret, 'return-path', runId, did);
}

/**
 * The unsubscribe tag for one message. Separate from the return-path token so that one of them
 * (both are visible to the participant) does not give the other away.
 */
export function unsubscribeToken(secret: string, runId: string, did: string): string {
  return token(secret, 'unsubscribe', runId, did);
}

export function isToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

interface SplitAddress {
  local: string;
  /** Text after the first `+` of the local part; undefined when there is no `+`. */
  detail: string | undefined;
  domain: string;
}

function splitAddress(address: string): SplitAddress | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  const localPart = address.slice(0, at);
  const plus = localPart.indexOf('+');
  return {
    local: plus < 0 ? localPart : localPart.slice(0, plus),
    detail: plus < 0 ? undefined : localPart.slice(plus + 1),
    domain: address.slice(at + 1),
  };
}

/** Whether the base address asks for per-message tags (it has a `+` in its local part). */
export function hasTagSlot(base: string): boolean {
  return splitAddress(base)?.detail !== undefined;
}

/** `bounces+@study.test` (or `bounces@study.test`) + tag → `bounces+<tag>@study.test`. */
export function tagAddress(base: string, tag: string): string {
  const parts = splitAddress(base);
  if (parts === undefined) throw new Error(`"${base}" is not an e-mail address (expected local@domain).`);
  if (!/^[a-z0-9-]+$/.test(tag)) throw new Error('A tag is lower-case letters, digits and "-" only.');
  return `${parts.local}+${tag}${parts.detail ?? ''}@${parts.domain}`;
}

/**
 * The token in a tagged address, or undefined when the address is not `<local>+<prefix><token>…`
 * (local compared case-insensitively; omit it to accept any local part). The inverse of
 * `tagAddress(base, prefix + token)`.
 */
export function tokenFromAddress(address: string, local?: string, prefix = ''): string | undefined {
  const parts = splitAddress(address.trim().replace(/^<|>$/g, ''));
  if (parts?.detail === undefined) return undefined;
  if (local !== undefined && parts.local.toLowerCase() !== local.toLowerCase()) return undefined;
  const detail = parts.detail.toLowerCase();
  if (!detail.startsWith(prefix)) return undefined;
  const candidate = detail.slice(prefix.length, prefix.length + TOKEN_LENGTH);
  return isToken(candidate) ? candidate : undefined;
}

/** The local part before any `+` (`bounces` for `bounces+@study.test`), to pass to classifyMessage. */
export function baseLocal(address: string): string | undefined {
  return splitAddress(address)?.local;
}
