/**
 * Unsubscribe requests by e-mail (the `mailto:` of our List-Unsubscribe header) and, with
 * PUBLIC_URL, by one-click HTTPS POST (RFC 8058; served by src/health/unsubscribe.ts). We send
 *
 *   List-Unsubscribe: <mailto:study+unsub-<token>@study.test?subject=unsubscribe%20<token>>
 *
 * so the token comes back twice: in the address the mail client writes to (To, and
 * Delivered-To / X-Original-To once delivered) and in the subject, in case a relay drops the
 * `+` tag. Either is enough; the token's shape is checked here, its validity by the caller.
 */
import type { ReadMessage } from './message.js';
import { isToken, tagAddress, tokenFromAddress, UNSUBSCRIBE_TAG_PREFIX } from './token.js';

const ADDRESS = /[^\s<>"'(),;:[\]]{1,200}@[A-Za-z0-9.-]{1,200}/g;
const SUBJECT = /^\s*(?:(?:re|fwd?|aw|sv|tr)\s*:\s*)*unsubscribe[\s:-]+([A-Za-z2-7]{16})\s*$/i;

/** The `mailto:` for a message's List-Unsubscribe header. */
export function unsubscribeMailto(unsubscribeAddress: string, token: string): string {
  if (!isToken(token)) throw new Error('Not an unsubscribe token: make it with unsubscribeToken().');
  return `mailto:${tagAddress(unsubscribeAddress, `${UNSUBSCRIBE_TAG_PREFIX}${token}`)}?subject=unsubscribe%20${token}`;
}

/** Where one-click unsubscribe is served, relative to PUBLIC_URL (a path prefix is kept). */
export const UNSUBSCRIBE_PATH = 'unsubscribe';

/** The `https:` URI of a message's List-Unsubscribe header: `<PUBLIC_URL>/unsubscribe?t=<token>`. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  if (!isToken(token)) throw new Error('Not an unsubscribe token: make it with unsubscribeToken().');
  const base = publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`;
  return `${base}${UNSUBSCRIBE_PATH}?t=${token}`;
}

export function findUnsubscribeToken(m: ReadMessage, unsubscribeLocal: string | undefined): string | undefined {
  if (unsubscribeLocal !== undefined) {
    const addresses = ['to', 'cc', 'delivered-to', 'x-original-to', 'envelope-to']
      .flatMap((name) => m.header(name))
      .flatMap((value) => value.match(ADDRESS) ?? []);
    for (const address of addresses) {
      const token = tokenFromAddress(address, unsubscribeLocal, UNSUBSCRIBE_TAG_PREFIX);
      if (token !== undefined) return token;
    }
  }
  const fromSubject = SUBJECT.exec(m.subject)?.[1]?.toLowerCase();
  return fromSubject !== undefined && isToken(fromSubject) ? fromSubject : undefined;
}
