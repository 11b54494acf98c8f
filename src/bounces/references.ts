/**
 * What in a returned message points back at one of ours. Three routes, most reliable first:
 *
 *  1. the envelope tag: a DSN goes to the envelope sender, `<returnPathLocal>+<token>@…`, which
 *     MTAs record in To, Delivered-To, X-Original-To or Envelope-To (and Postfix in the report's
 *     X-Postfix-Sender); the returned headers' Return-Path carries it too;
 *  2. our Message-ID (`<RUNID.HASH@domain>`) in the returned headers (text/rfc822-headers,
 *     message/rfc822, message/global-headers), in In-Reply-To/References (auto-replies), or
 *     quoted in the body text (qmail, Gmail and Exchange quote them);
 *  3. our `X-Mail-Updater-Run` header, in the same places.
 *
 * These are candidates, not proof: the caller looks them up in the ledger and treats a
 * reference it does not know as not ours.
 */
import { tokenFromAddress } from './token.js';

export interface MessageRef {
  /** From the envelope tag; the strongest match (an HMAC only we can make). */
  returnPathToken?: string;
  /** Our Message-ID, without angle brackets. */
  messageId?: string;
  /** Our run ID, from X-Mail-Updater-Run or the Message-ID. */
  runId?: string;
}

// The shape our renderer writes (src/runs/render-message.ts): `<run id>.<16 hex>@<domain>`,
// run IDs like `2026-11-29_20261130T090000_a1b2c3`. Kept a little looser than today's run IDs
// so a change of their format does not silently stop bounce matching.
const RUN_ID = '[A-Za-z0-9][A-Za-z0-9_-]{5,63}';
const OUR_MESSAGE_ID = new RegExp(`^(${RUN_ID})\\.[0-9a-f]{16}@[A-Za-z0-9.-]+$`);
const RUN_ID_ONLY = new RegExp(`^${RUN_ID}$`);
const ANGLED = /<([^<>\s]{1,250})>/g;
const QUOTED_MESSAGE_ID = /^[ \t>]*Message-ID:[ \t]*<([^<>\s]{1,250})>/gim;
const QUOTED_RUN = /^[ \t>]*X-Mail-Updater-Run:[ \t]*(\S{1,80})/gim;
const ADDRESS = /[^\s<>"'(),;:[\]]{1,200}@[A-Za-z0-9.-]{1,200}/g;

/** `{runId}` when the Message-ID (with or without <>) has our shape. */
export function parseOurMessageId(value: string): { messageId: string; runId: string } | undefined {
  const id = value.trim().replace(/^<|>$/g, '');
  const match = OUR_MESSAGE_ID.exec(id);
  return match === null ? undefined : { messageId: id, runId: match[1]! };
}

/** Fields of a header block (`Name: value`, folded lines), all values per lower-case name. */
export function headerFields(block: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) continue;
    const name = line.slice(0, colon).toLowerCase();
    const values = fields.get(name);
    if (values === undefined) fields.set(name, [line.slice(colon + 1).trim()]);
    else values.push(line.slice(colon + 1).trim());
  }
  return fields;
}

export interface RefSources {
  /** Addresses the message was delivered to: To, Delivered-To, X-Original-To, Envelope-To, ... */
  envelopeAddresses: string[];
  /** Values that may hold Message-IDs: In-Reply-To, References, returned Message-ID fields. */
  messageIdFields: string[];
  /** X-Mail-Updater-Run values from the returned headers. */
  runFields: string[];
  /** Free text (bodies) that may quote the original headers. */
  text: string;
}

/** Collects the candidates from the returned header blocks into `sources`. */
export function addReturnedHeaders(sources: RefSources, blocks: readonly string[]): void {
  for (const block of blocks) {
    const fields = headerFields(block);
    sources.envelopeAddresses.push(...(fields.get('return-path') ?? []));
    sources.messageIdFields.push(...(fields.get('message-id') ?? []));
    sources.runFields.push(...(fields.get('x-mail-updater-run') ?? []));
  }
}

export function findRef(sources: RefSources, returnPathLocal: string | undefined): MessageRef {
  const ref: MessageRef = {};
  if (returnPathLocal !== undefined) {
    const addresses = sources.envelopeAddresses.flatMap((value) => value.match(ADDRESS) ?? []);
    const local = returnPathLocal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Last resort: the tagged address quoted anywhere in the body.
    addresses.push(...(sources.text.match(new RegExp(`\\b${local}\\+[A-Za-z2-7]{16}@[A-Za-z0-9.-]+`, 'gi')) ?? []));
    for (const address of addresses) {
      const token = tokenFromAddress(address, returnPathLocal);
      if (token !== undefined) {
        ref.returnPathToken = token;
        break;
      }
    }
  }
  const idCandidates = [
    ...sources.messageIdFields.flatMap((value) => [...value.matchAll(ANGLED)].map((m) => m[1]!)),
    ...sources.messageIdFields.filter((value) => !value.includes('<')),
    ...[...sources.text.matchAll(QUOTED_MESSAGE_ID)].map((m) => m[1]!),
  ];
  for (const candidate of idCandidates) {
    const ours = parseOurMessageId(candidate);
    if (ours !== undefined) {
      ref.messageId = ours.messageId;
      ref.runId = ours.runId;
      break;
    }
  }
  const runCandidates = [...sources.runFields, ...[...sources.text.matchAll(QUOTED_RUN)].map((m) => m[1]!)];
  const run = runCandidates.map((value) => value.trim()).find((value) => RUN_ID_ONLY.test(value));
  if (run !== undefined) ref.runId = run;
  return ref;
}

export function hasRef(ref: MessageRef): boolean {
  return ref.returnPathToken !== undefined || ref.messageId !== undefined || ref.runId !== undefined;
}
