/**
 * The HTTP safety rules of the Qualtrics client. Every answer is read as a stream with a byte
 * cap (a declared Content-Length over it is refused before reading); redirects are followed by
 * hand and only within the configured origin, so the X-API-TOKEN header never reaches another
 * host (fetch's own redirect handling would forward it).
 */

/** Qualtrics' JSON answers (start, progress, errors) are a few hundred bytes. */
export const MAX_JSON_RESPONSE_BYTES = 1024 * 1024;
/** The export ZIP as downloaded (compressed); the inflated size has its own cap in zip.ts. */
export const MAX_EXPORT_DOWNLOAD_BYTES = 100 * 1024 * 1024;
const MAX_REDIRECTS = 5;

export class QualtricsError extends Error {
  override readonly name = 'QualtricsError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errorCode: string | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

const mb = (bytes: number): string => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

export interface BodyLimit {
  bytes: number;
  /** The constant's name, for the message. */
  name: string;
}

function tooLarge(what: string, status: number, size: string, limit: BodyLimit): QualtricsError {
  return new QualtricsError(
    `Qualtrics ${what} failed (HTTP ${status}): the answer is ${size}, over the limit of ${mb(limit.bytes)} (${limit.name}); it was not read further and the roster was left as it is. Check that QUALTRICS_BASE_URL and QUALTRICS_SURVEY_ID point at Qualtrics and the enrolment survey.`,
    status,
    'too_large',
    undefined,
  );
}

/** The body, read chunk by chunk; more than the limit is an error, never buffered. */
export async function readLimited(res: Response, what: string, limit: BodyLimit): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit.bytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(what, res.status, `${mb(declared)} (Content-Length)`, limit);
  }
  if (res.body === null) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      // The request's time limit, or the connection dropped half-way: the server's doing.
      throw new QualtricsError(
        `Qualtrics ${what} failed (HTTP ${res.status}): the answer stopped after ${total} bytes (${(error as Error).name === 'TimeoutError' ? 'no more data within the time limit' : (error as Error).message}). Sync again later.`,
        res.status,
        'incomplete',
        undefined,
      );
    }
    const { done, value } = chunk;
    if (done) break;
    total += value.byteLength;
    if (total > limit.bytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(what, res.status, `more than ${mb(limit.bytes)}`, limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** Discards a body without reading it. */
export async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

/**
 * One fetch, following redirects only to the same origin as `origin` (scheme, host and port):
 * a redirect anywhere else is refused, so the token in `init.headers` is never sent there.
 */
export async function fetchSameOrigin(what: string, url: string, init: RequestInit, origin: string): Promise<Response> {
  let current = url;
  let request = init;
  for (let hops = 0; ; hops++) {
    const res = await fetch(current, { ...request, redirect: 'manual' });
    if (![301, 302, 303, 307, 308].includes(res.status)) return res;
    await discard(res);
    const location = res.headers.get('location');
    let next: URL;
    try {
      next = new URL(location ?? '', current);
    } catch {
      throw new QualtricsError(
        `Qualtrics ${what} failed (HTTP ${res.status}): a redirect without a usable Location.`,
        res.status,
        'bad_redirect',
        undefined,
      );
    }
    if (location === null || next.origin !== origin)
      throw new QualtricsError(
        `Qualtrics ${what} failed (HTTP ${res.status}): the server redirected to ${location === null ? 'nowhere' : next.origin}, another host than QUALTRICS_BASE_URL (${origin}); the redirect was not followed, so the API token was not sent there. Set QUALTRICS_BASE_URL to your datacenter's own host (e.g. https://iad1.qualtrics.com).`,
        res.status,
        'cross_origin_redirect',
        undefined,
      );
    if (hops >= MAX_REDIRECTS)
      throw new QualtricsError(
        `Qualtrics ${what} failed: more than ${MAX_REDIRECTS} redirects.`,
        res.status,
        'redirect_loop',
        undefined,
      );
    // 303, and 301/302 after a POST, continue as a GET without the body (what browsers do).
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && request.method === 'POST')) {
      const { body: _body, ...rest } = request;
      const headers = { ...(rest.headers as Record<string, string>) };
      delete headers['content-type'];
      request = { ...rest, method: 'GET', headers };
    }
    current = next.href;
  }
}
