/**
 * Qualtrics' export-responses API v3: start an export, poll its progress, download the ZIP.
 * Every request carries X-API-TOKEN; 429 and 5xx are retried with back-off (Retry-After when
 * given); every error names the HTTP status, Qualtrics' errorCode / errorMessage and requestId.
 */
import type { Logger } from '../logger.js';
import {
  type BodyLimit,
  discard,
  fetchSameOrigin,
  MAX_EXPORT_DOWNLOAD_BYTES,
  MAX_JSON_RESPONSE_BYTES,
  QualtricsError,
  readLimited,
} from './http.js';

export { QualtricsError } from './http.js';

export interface QualtricsSettings {
  baseUrl: string;
  apiToken: string;
  surveyId: string;
  /** Give up on an export that has not completed by then. */
  exportTimeoutMs: number;
  /** First pause between progress polls; it grows by half each time, up to maxPollMs. */
  firstPollMs?: number;
  maxPollMs?: number;
  /** Attempts per request for 429 / 5xx / network errors. */
  maxAttempts?: number;
  retryBaseMs?: number;
  /** Byte caps (tests lower them); default MAX_JSON_RESPONSE_BYTES and MAX_EXPORT_DOWNLOAD_BYTES. */
  maxJsonBytes?: number;
  maxDownloadBytes?: number;
  /** The inflated export's cap; default MAX_EXPORT_UNCOMPRESSED_BYTES (zip.ts). */
  maxUncompressedBytes?: number;
  /** One request, body included; default the export timeout, at most REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
}

/**
 * A server that accepts the connection and never answers must not hold the sync (or the bot's
 * scheduled sync) for ever: each request, body included, gets this long at most.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

interface QualtricsMeta {
  httpStatus?: string;
  requestId?: string;
  notice?: string;
  error?: { errorCode?: string; errorMessage?: string };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describe(what: string, status: number | undefined, meta: QualtricsMeta | undefined, fallback = ''): string {
  const parts = [`Qualtrics ${what} failed`, status === undefined ? '' : ` (HTTP ${status})`];
  if (meta?.error?.errorCode || meta?.error?.errorMessage)
    parts.push(
      `: ${meta.error.errorCode ?? ''}${meta.error.errorCode && meta.error.errorMessage ? ' ' : ''}${meta.error.errorMessage ?? ''}`,
    );
  else if (fallback) parts.push(`: ${fallback}`);
  if (meta?.requestId) parts.push(` [requestId ${meta.requestId}]`);
  return parts.join('');
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export class QualtricsClient {
  private readonly base: string;
  private readonly origin: string;

  constructor(
    private readonly settings: QualtricsSettings,
    private readonly logger: Logger,
  ) {
    this.origin = new URL(settings.baseUrl).origin;
    this.base = `${settings.baseUrl.replace(/\/+$/, '')}/API/v3/surveys/${encodeURIComponent(settings.surveyId)}/export-responses`;
  }

  /** The whole flow: the ZIP's bytes. */
  async exportResponses(signal?: AbortSignal): Promise<Buffer> {
    const started = await this.json('start the export', this.base, {
      method: 'POST',
      body: JSON.stringify({ format: 'json' }),
    });
    const progressId = (started.result as { progressId?: string } | undefined)?.progressId;
    if (!progressId)
      throw new QualtricsError(
        'Qualtrics did not return a progressId for the export.',
        undefined,
        undefined,
        started.meta?.requestId,
      );
    const fileId = await this.waitForFile(progressId, signal);
    return this.bytes('download the export', `${this.base}/${encodeURIComponent(fileId)}/file`);
  }

  /** Polls with a growing pause; never loops on percentComplete, only on status. */
  private async waitForFile(progressId: string, signal?: AbortSignal): Promise<string> {
    const deadline = Date.now() + this.settings.exportTimeoutMs;
    let pause = this.settings.firstPollMs ?? 500;
    for (;;) {
      const body = await this.json('check the export', `${this.base}/${encodeURIComponent(progressId)}`);
      const result = (body.result ?? {}) as { status?: string; fileId?: string; percentComplete?: number };
      if (result.status === 'complete') {
        if (!result.fileId)
          throw new QualtricsError(
            'Qualtrics reported the export complete but gave no fileId.',
            undefined,
            undefined,
            body.meta?.requestId,
          );
        return result.fileId;
      }
      if (result.status === 'failed')
        throw new QualtricsError(
          describe('export', 200, body.meta, "the export job failed on Qualtrics' side; try again later"),
          200,
          undefined,
          body.meta?.requestId,
        );
      if (Date.now() + pause > deadline) {
        throw new QualtricsError(
          `The Qualtrics export did not complete within ${Math.round(this.settings.exportTimeoutMs / 1000)} s (last status ${result.status ?? 'unknown'}, ${result.percentComplete ?? 0}%). Try again later, or raise QUALTRICS_EXPORT_TIMEOUT_S.`,
          undefined,
          'timeout',
          body.meta?.requestId,
        );
      }
      if (signal?.aborted)
        throw new QualtricsError('The sync was stopped while waiting for the export.', undefined, 'aborted', undefined);
      await sleep(pause);
      pause = Math.min(Math.round(pause * 1.5), this.settings.maxPollMs ?? 5000);
    }
  }

  private async json(
    what: string,
    url: string,
    init: RequestInit = {},
  ): Promise<{ result?: unknown; meta?: QualtricsMeta }> {
    const res = await this.request(what, url, init);
    const text = (await readLimited(res, what, this.jsonLimit())).toString('utf8');
    let body: { result?: unknown; meta?: QualtricsMeta };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new QualtricsError(
        `${describe(what, res.status, undefined)}: the answer is not JSON (${text.slice(0, 80)}).`,
        res.status,
        undefined,
        undefined,
      );
    }
    this.warnIfProxied(body.meta);
    return body;
  }

  private async bytes(what: string, url: string): Promise<Buffer> {
    const res = await this.request(what, url);
    return readLimited(res, what, {
      bytes: this.settings.maxDownloadBytes ?? MAX_EXPORT_DOWNLOAD_BYTES,
      name: 'MAX_EXPORT_DOWNLOAD_BYTES',
    });
  }

  private requestTimeoutMs(): number {
    return this.settings.requestTimeoutMs ?? Math.min(REQUEST_TIMEOUT_MS, this.settings.exportTimeoutMs);
  }

  private jsonLimit(): BodyLimit {
    return { bytes: this.settings.maxJsonBytes ?? MAX_JSON_RESPONSE_BYTES, name: 'MAX_JSON_RESPONSE_BYTES' };
  }

  /** One request, retried on 429, 5xx and network errors; any other non-2xx is an error at once. */
  private async request(what: string, url: string, init: RequestInit = {}): Promise<Response> {
    const attempts = this.settings.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        const headers = {
          'X-API-TOKEN': this.settings.apiToken,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          accept: 'application/json',
        };
        res = await fetchSameOrigin(
          what,
          url,
          { ...init, headers, signal: AbortSignal.timeout(this.requestTimeoutMs()) },
          this.origin,
        );
      } catch (error) {
        if (error instanceof QualtricsError) throw error;
        // No answer at all: asking again would only wait as long again.
        if ((error as Error).name === 'TimeoutError')
          throw new QualtricsError(
            `Qualtrics ${what} failed: ${new URL(url).host} did not answer within ${(this.requestTimeoutMs() / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s. Check QUALTRICS_BASE_URL and the network, then sync again.`,
            undefined,
            'timeout',
            undefined,
          );
        if (attempt >= attempts)
          throw new QualtricsError(
            `Qualtrics ${what} failed: cannot reach ${new URL(url).host} (${(error as Error).message}). Check QUALTRICS_BASE_URL and the network.`,
            undefined,
            'network',
            undefined,
          );
        await sleep(this.backoff(attempt));
        continue;
      }
      if (res.ok) return res;
      const retryable = res.status === 429 || res.status >= 500;
      if (retryable && attempt < attempts) {
        const wait = retryAfterMs(res.headers.get('retry-after')) ?? this.backoff(attempt);
        this.logger.warn({ status: res.status, attempt, wait_ms: wait, what }, 'Qualtrics asked us to wait; retrying');
        await discard(res);
        await sleep(wait);
        continue;
      }
      const text = await readLimited(res, what, this.jsonLimit()).then(
        (body) => body.toString('utf8'),
        () => '',
      );
      let meta: QualtricsMeta | undefined;
      try {
        meta = (JSON.parse(text) as { meta?: QualtricsMeta }).meta;
      } catch {
        meta = undefined;
      }
      throw new QualtricsError(
        describe(what, res.status, meta, text.slice(0, 120)),
        res.status,
        meta?.error?.errorCode,
        meta?.requestId,
      );
    }
  }

  private backoff(attempt: number): number {
    return (this.settings.retryBaseMs ?? 1000) * 2 ** (attempt - 1);
  }

  /** Qualtrics serves a request sent to the wrong datacenter, slower, and says which host to use. */
  private warnIfProxied(meta: QualtricsMeta | undefined): void {
    if (!meta?.notice) return;
    const host = /use this host(?: instead)?:\s*([A-Za-z0-9.-]+)/i.exec(meta.notice)?.[1];
    this.logger.warn(
      { notice: meta.notice, ...(host ? { right_host: host } : {}) },
      host
        ? `Qualtrics proxied the request to another datacenter: set QUALTRICS_BASE_URL=https://${host}`
        : 'Qualtrics notice',
    );
  }
}
