/**
 * The per-message envelope sender and List-Unsubscribe address. Both carry an HMAC token of the
 * run and the DID (src/bounces/token.ts) so that a bounce or an opt-out names the message it is
 * about; the tokens are stored in the ledger (storage/bounces.ts) for the match.
 */
import { hasTagSlot, returnPathToken, tagAddress, unsubscribeToken } from '../bounces/token.js';
import { unsubscribeMailto } from '../bounces/unsubscribe.js';

export interface MessageTags {
  returnPath: string | undefined;
  listUnsubscribe: string | undefined;
  tokens: { returnPathToken?: string; unsubscribeToken?: string };
}

export interface TagSettings {
  runId: string;
  returnPath?: string | undefined;
  unsubscribeTo?: string | undefined;
  tokenSecret?: string | undefined;
}

export function messageTags(settings: TagSettings, did: string): MessageTags {
  const { returnPath, unsubscribeTo, tokenSecret } = settings;
  const tokens: MessageTags['tokens'] = {};
  let envelope = returnPath;
  if (returnPath !== undefined && tokenSecret !== undefined && hasTagSlot(returnPath)) {
    tokens.returnPathToken = returnPathToken(tokenSecret, settings.runId, did);
    envelope = tagAddress(returnPath, tokens.returnPathToken);
  }
  let listUnsubscribe: string | undefined;
  if (unsubscribeTo !== undefined) {
    if (tokenSecret !== undefined) {
      tokens.unsubscribeToken = unsubscribeToken(tokenSecret, settings.runId, did);
      listUnsubscribe = unsubscribeMailto(unsubscribeTo, tokens.unsubscribeToken);
    } else {
      // Without a secret there is no token: the request still arrives, for a person to read.
      listUnsubscribe = `mailto:${unsubscribeTo}?subject=unsubscribe`;
    }
  }
  return { returnPath: envelope, listUnsubscribe, tokens };
}
