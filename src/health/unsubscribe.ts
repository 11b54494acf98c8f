/**
 * One-click unsubscribe over HTTPS (RFC 8058), on the bot's HTTP listener (both modes): the
 * `https:` URI of our List-Unsubscribe header is `PUBLIC_URL/unsubscribe?t=<token>`.
 *
 * - `POST` records the opt-out exactly as an unsubscribe e-mail does (recordOptOut), whatever
 *   the body (RFC 8058's is `List-Unsubscribe=One-Click`); a second POST changes nothing and
 *   answers the same. The token is taken from the URL, or from a form field `t`.
 * - `GET` records nothing: link scanners and mail-security proxies follow links. It shows a page
 *   whose button POSTs the same URL.
 * - A malformed, forged or unknown token gets the same 404 page ("link not valid"): nothing
 *   tells a forged token from one that exists.
 *
 * Untrusted input is bounded: the body to 4 KB (413 beyond), the whole request to 10 s (408).
 * Pages name no participant; logs carry the DID and run, never the token or an address.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logOutcome } from '../bounces/log-outcome.js';
import { recordOptOut } from '../bounces/record.js';
import { isToken } from '../bounces/token.js';
import type { Logger } from '../logger.js';
import { SendLog } from '../outbox/send-log.js';
import { messageByUnsubscribeToken } from '../storage/bounces.js';
import type { StateDb } from '../storage/state-db.js';

export const UNSUBSCRIBE_MAX_BODY_BYTES = 4096;
const REQUEST_TIMEOUT_MS = 10_000;
/** Audit actor of a one-click opt-out (the e-mail path records its check's actor). */
export const ONE_CLICK_ACTOR = 'participant:one-click';

export interface UnsubscribeDeps {
  db: StateDb;
  logger: Logger;
  now: () => Date;
  /** STUDY_NAME, for the page's wording (not participant data). */
  studyName?: string | undefined;
  /** OUTBOX_DIR: the opt-out gets its `opted_out` line in send_log.jsonl, as check-bounces writes. */
  outboxDir?: string;
}

type Page = { status: number; title: string; body: string; headers?: Record<string, string> };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res: ServerResponse, page: Page, head: boolean): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(page.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.6rem 1.2rem}</style>
</head><body>
<h1>${escapeHtml(page.title)}</h1>
${page.body}
</body></html>
`;
  res.writeHead(page.status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    // The token is in the URL: never sent on as a Referer, never framed (no click-jacking).
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    ...page.headers,
  });
  res.end(head ? undefined : html);
}

const NOT_VALID: Page = {
  status: 404,
  title: 'This link is not valid',
  body: '<p>This unsubscribe link is not valid. If you want to stop the daily e-mails, reply to one of them or contact the study team.</p>',
};

/** Reads the body up to the cap; undefined when it is larger (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function unsubscribeHandler(deps: UnsubscribeDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const log = deps.logger.child({ component: 'unsubscribe' });
  const what = deps.studyName === undefined ? 'the daily study e-mails' : `the daily ${deps.studyName} e-mails`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      send(
        res,
        {
          status: 405,
          title: 'Not allowed',
          body: '<p>Use the link in the e-mail.</p>',
          headers: { allow: 'GET, HEAD, POST' },
        },
        false,
      );
      return;
    }
    const query = new URL(req.url ?? '/', 'http://listener.invalid').searchParams;
    let token = query.get('t') ?? undefined;
    if (method === 'POST') {
      const body = await readBody(req, UNSUBSCRIBE_MAX_BODY_BYTES);
      if (body === undefined) {
        send(
          res,
          {
            status: 413,
            title: 'Request too large',
            body: '<p>Use the link in the e-mail.</p>',
            headers: { connection: 'close' },
          },
          false,
        );
        return;
      }
      token ??= new URLSearchParams(body).get('t') ?? undefined;
    }
    // Same answer for malformed and unknown tokens (recordOptOut checks the shape too).
    if (token === undefined || !isToken(token)) {
      log.info({ method, reason: 'malformed' }, 'unsubscribe link not valid');
      send(res, NOT_VALID, method === 'HEAD');
      return;
    }
    if (method !== 'POST') {
      if (messageByUnsubscribeToken(deps.db, token) === undefined) {
        log.info({ method, reason: 'unknown_token' }, 'unsubscribe link not valid');
        send(res, NOT_VALID, method === 'HEAD');
        return;
      }
      send(
        res,
        {
          status: 200,
          title: `Stop ${what}?`,
          body: `<p>Press the button to stop receiving ${escapeHtml(what)}. This does not withdraw you from the study; the study team will be in touch.</p>
<form method="post" action="?t=${escapeHtml(encodeURIComponent(token))}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
        },
        method === 'HEAD',
      );
      return;
    }
    const handled = recordOptOut(deps.db, token, ONE_CLICK_ACTOR, deps.now());
    if (handled.kind === 'not_ours') {
      log.info({ method, reason: 'unknown_token' }, 'unsubscribe link not valid');
      send(res, NOT_VALID, false);
      return;
    }
    log.info({ did: handled.did, run_id: handled.runId, duplicate: handled.duplicate }, 'one-click opt-out recorded');
    if (!handled.duplicate && deps.outboxDir !== undefined) {
      try {
        const sendLog = new SendLog(deps.outboxDir);
        try {
          logOutcome(sendLog, deps.db, handled, deps.now());
        } finally {
          sendLog.close();
        }
      } catch (error) {
        // Recorded in the ledger already; a log line that cannot be written must not fail the page.
        log.warn(
          { did: handled.did, error: (error as Error).message },
          'could not write the opted_out line to send_log.jsonl',
        );
      }
    }
    send(
      res,
      {
        status: 200,
        title: 'You are unsubscribed',
        body: `<p>You will not receive ${escapeHtml(what)} any more. This does not withdraw you from the study; the study team will be in touch.</p>`,
      },
      false,
    );
  };

  return (req, res) => {
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      if (!res.headersSent)
        send(
          res,
          { status: 408, title: 'Request timeout', body: '<p>Try again.</p>', headers: { connection: 'close' } },
          false,
        );
      req.destroy();
    });
    handle(req, res).catch((error: unknown) => {
      log.error({ error: (error as Error).message }, 'one-click unsubscribe failed');
      if (!res.headersSent)
        send(res, { status: 500, title: 'Something went wrong', body: '<p>Please try again later.</p>' }, false);
      else res.destroy();
    });
  };
}
