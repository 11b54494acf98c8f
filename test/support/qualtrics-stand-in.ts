/**
 * A local HTTP server speaking Qualtrics' export-responses API v3 (start → progress → file),
 * serving a real ZIP built with fflate. Behaviours cover what the real API does: a token it does
 * not know (401 with Qualtrics' error body), 429 with Retry-After, an export that fails or never
 * completes, a proxied-request notice, a corrupt ZIP or one with two files.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { strToU8, zipSync } from 'fflate';

export const QUALTRICS_TOKEN = 'qualtrics-test-token-51d2';
export const SURVEY_ID = 'SV_enrol123';

export interface ExportResponse {
  responseId: string;
  values: Record<string, unknown>;
}

export interface QualtricsBehaviour {
  /** Progress polls answered "inProgress" before "complete" (Infinity: never completes). */
  pollsBeforeComplete: number;
  exportStatus: 'complete' | 'failed';
  /** The first n start requests get 429 with this Retry-After (seconds). */
  rateLimitStarts: number;
  retryAfterS: number;
  notice?: string;
  /** The export's progress answers 404, as when Qualtrics has dropped the job. */
  progressGone?: boolean;
  /** The first n progress polls answer 503 (a datacenter hiccup). */
  serverErrors: number;
  zip: 'valid' | 'corrupt' | 'two-entries';
  /** Served as the export file instead of the built ZIP (e.g. a zip bomb). */
  zipBytes?: Buffer;
  /** The file download answers 307 with this Location (relative: same server). */
  fileRedirect?: string;
  /** Progress answers carry this many bytes of padding, sent without Content-Length when chunked. */
  progressPadding?: { bytes: number; chunked: boolean };
}

export interface QualtricsStandIn {
  baseUrl: string;
  responses: ExportResponse[];
  behaviour: QualtricsBehaviour;
  requests: { method: string; path: string; token: string | undefined }[];
  close(): Promise<void>;
}

/** A finished, normal enrolment response. */
export function enrolment(
  id: string,
  did: string,
  email: string,
  firstName: string,
  extra: Record<string, unknown> = {},
): ExportResponse {
  return {
    responseId: `R_${id}`,
    values: {
      status: 0,
      finished: 1,
      progress: 100,
      recordedDate: `2026-11-2${id.length % 10}T10:00:00Z`,
      DID: did,
      Email: email,
      FirstName: firstName,
      ...extra,
    },
  };
}

export async function startQualtricsStandIn(responses: ExportResponse[] = []): Promise<QualtricsStandIn> {
  const requests: QualtricsStandIn['requests'] = [];
  const behaviour: QualtricsBehaviour = {
    pollsBeforeComplete: 1,
    exportStatus: 'complete',
    rateLimitStarts: 0,
    retryAfterS: 1,
    serverErrors: 0,
    zip: 'valid',
  };
  const polls = new Map<string, number>();
  let exports = 0;
  const base = `/API/v3/surveys/${SURVEY_ID}/export-responses`;
  const meta = (extra: object = {}) => ({
    requestId: `req-${requests.length}`,
    httpStatus: '200 - OK',
    ...(behaviour.notice ? { notice: behaviour.notice } : {}),
    ...extra,
  });
  const json = (
    res: import('node:http').ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

  const zipBytes = (): Buffer => {
    if (behaviour.zipBytes) return behaviour.zipBytes;
    const doc = strToU8(JSON.stringify({ responses: standIn.responses }));
    if (behaviour.zip === 'corrupt') return Buffer.from('PK\u0003\u0004 this is not really a zip file at all');
    if (behaviour.zip === 'two-entries')
      return Buffer.from(zipSync({ 'Enrolment.json': doc, '../../escape.json': doc }));
    return Buffer.from(zipSync({ 'Enrolment survey.json': doc }));
  };

  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    const token = req.headers['x-api-token'] as string | undefined;
    requests.push({ method: req.method ?? '', path, token });
    req.resume();
    if (token !== QUALTRICS_TOKEN) {
      json(res, 401, {
        meta: {
          httpStatus: '401 - Unauthorized',
          error: { errorMessage: 'Invalid API token', errorCode: 'AUTH_1.0' },
          requestId: 'req-auth-401',
        },
      });
      return;
    }
    if (req.method === 'POST' && path === base) {
      if (behaviour.rateLimitStarts > 0) {
        behaviour.rateLimitStarts--;
        json(
          res,
          429,
          {
            meta: {
              httpStatus: '429 - Too Many Requests',
              error: { errorMessage: 'Too many requests', errorCode: 'RATE_1' },
              requestId: 'req-429',
            },
          },
          { 'retry-after': String(behaviour.retryAfterS) },
        );
        return;
      }
      const progressId = `ES_${++exports}`;
      polls.set(progressId, 0);
      json(res, 200, { result: { progressId, percentComplete: 0, status: 'inProgress' }, meta: meta() });
      return;
    }
    const progress = new RegExp(`^${base}/(ES_\\d+)$`).exec(path);
    if (req.method === 'GET' && progress) {
      const id = progress[1]!;
      if (behaviour.serverErrors > 0) {
        behaviour.serverErrors--;
        return json(res, 503, {
          meta: {
            httpStatus: '503 - Service Unavailable',
            error: { errorMessage: 'Try again', errorCode: 'SVC_503' },
            requestId: 'req-503',
          },
        });
      }
      if (!polls.has(id) || behaviour.progressGone)
        return json(res, 404, {
          meta: {
            httpStatus: '404 - Not Found',
            error: { errorMessage: 'Export not found', errorCode: 'RS_404' },
            requestId: 'req-404',
          },
        });
      const padding = behaviour.progressPadding;
      if (padding) {
        const body = JSON.stringify({ result: { status: 'inProgress', pad: 'x'.repeat(padding.bytes) }, meta: meta() });
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(padding.chunked ? {} : { 'content-length': Buffer.byteLength(body) }),
        });
        for (let i = 0; i < body.length; i += 65536) res.write(body.slice(i, i + 65536));
        return res.end();
      }
      const n = polls.get(id)! + 1;
      polls.set(id, n);
      if (n <= behaviour.pollsBeforeComplete)
        return json(res, 200, {
          result: { percentComplete: Math.min(99, n * 10), status: 'inProgress' },
          meta: meta(),
        });
      if (behaviour.exportStatus === 'failed')
        return json(res, 200, { result: { percentComplete: 0, status: 'failed' }, meta: meta() });
      return json(res, 200, {
        result: { percentComplete: 100, status: 'complete', fileId: `${id}-file` },
        meta: meta(),
      });
    }
    const file = new RegExp(`^${base}/(ES_\\d+)-file/file(\\?redirected)?$`).exec(path);
    if (req.method === 'GET' && file && behaviour.fileRedirect && !path.includes('redirected')) {
      return res.writeHead(307, { location: behaviour.fileRedirect }).end();
    }
    if (req.method === 'GET' && file) {
      const bytes = zipBytes();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length }).end(bytes);
      return;
    }
    json(res, 404, {
      meta: {
        httpStatus: '404 - Not Found',
        error: { errorMessage: `No route ${path}`, errorCode: 'ROUTE_404' },
        requestId: 'req-404',
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const standIn: QualtricsStandIn = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    responses,
    behaviour,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return standIn;
}

export function qualtricsEnv(baseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    QUALTRICS_BASE_URL: baseUrl,
    QUALTRICS_API_TOKEN: QUALTRICS_TOKEN,
    QUALTRICS_SURVEY_ID: SURVEY_ID,
    ...extra,
  };
}
