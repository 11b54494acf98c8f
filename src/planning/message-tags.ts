/**
 * The per-message envelope sender and List-Unsubscribe address. Both carry an HMAC token of the
 * run and the DID (src/bounces/token.ts) so that a bounce or an opt-out names the message it is
 * about; the tokens are stored in the ledger (storage/bounces.ts) for the match.
 */
import { hasTagSlot, returnPathToken, tagAddress, unsubscribeToken } from '../bounces/token.js';
import { unsubscribeMailto, unsubscribeUrl } from '../bounces/unsubscribe.js';

export interface MessageTags {
  returnPath: string | undefined;
  /** List-Unsubscribe URIs: the `mailto:`, then (with PUBLIC_URL) the one-click `https:`. */
  listUnsubscribe: string[] | undefined;
  /** Whether the message carries `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058). */
  oneClick: boolean;
  tokens: { returnPathToken?: string; unsubscribeToken?: string };
}

export interface TagSettings {
  runId: string;
  returnPath?: string | undefined;
  unsubscribeTo?: string | undefined;
  tokenSecret?: string | undefined;
  /** PUBLIC_URL: with a token secret, adds the one-click https URI. */
  publicUrl?: string | undefined;
}

export function messageTags(settings: TagSettings, did: string): MessageTags {
  const { returnPath, unsubscribeTo, tokenSecret } = settings;
  const tokens: MessageTags['tokens'] = {};
  let envelope = returnPath;
  if (returnPath !== undefined && tokenSecret !== undefined && hasTagSlot(returnPath)) {
    tokens.returnPathToken = returnPathToken(tokenSecret, settings.runId, did);
    envelope = tagAddress(returnPath, tokens.returnPathToken);
  }
  const { publicUrl } = settings;
  const uris: string[] = [];
  if (tokenSecret !== undefined && (unsubscribeTo !== undefined || publicUrl !== undefined))
    tokens.unsubscribeToken = unsubscribeToken(tokenSecret, settings.runId, did);
  if (unsubscribeTo !== undefined) {
    // Without a secret there is no token: the request still arrives, for a person to read.
    uris.push(
      tokens.unsubscribeToken === undefined
        ? `mailto:${unsubscribeTo}?subject=unsubscribe`
        : unsubscribeMailto(unsubscribeTo, tokens.unsubscribeToken),
    );
  }
  // One-click needs the token (config.ts refuses PUBLIC_URL without BOUNCE_TOKEN_SECRET).
  const oneClick = publicUrl !== undefined && tokens.unsubscribeToken !== undefined;
  if (oneClick) uris.push(unsubscribeUrl(publicUrl, tokens.unsubscribeToken!));
  return { returnPath: envelope, listUnsubscribe: uris.length === 0 ? undefined : uris, oneClick, tokens };
}
