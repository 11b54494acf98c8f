/**
 * A local HTTP server that speaks the part of Slack's Web API the bot uses. It records every
 * call (method + arguments, decoded the way Slack decodes them), answers like Slack, serves the
 * upload URL of files.uploadV2 and the response_url of slash commands, and can answer 429 with
 * Retry-After to check that the bot waits and carries on.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** Answered with 429 instead of being processed. */
  rateLimited: boolean;
}

export interface SlackStandIn {
  url: string;
  /** What to put in SLACK_API_URL. */
  apiUrl: string;
  calls: SlackCall[];
  uploads: { fileId: string; bytes: Buffer }[];
  /** Bodies posted to a slash command's response_url. */
  responses: { path: string; body: Record<string, unknown> }[];
  callsOf(method: string): SlackCall[];
  /** The next `times` calls of `method` get 429 with Retry-After: retryAfterS. */
  rateLimit(method: string, retryAfterS: number, times?: number): void;
  /** The next `times` calls of `method` answer {ok: false, error} as Slack does (e.g. not_in_channel). */
  failWith(method: string, error: string, times?: number): void;
  /** While on, every call of `method` gets HTTP 503 (Slack degraded). */
  unavailable(method: string, on: boolean): void;
  waitFor<T>(probe: () => T | undefined | false, timeoutMs?: number, what?: string): Promise<T>;
  /** Every byte the bot sent to Slack, for privacy scans. */
  everything(): string;
  /** Socket Mode: the bot's open connection (after apps.connections.open), and what it sent back. */
  socket: { connections: number; acks: Record<string, unknown>[]; send(envelope: Record<string, unknown>): void };
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The file of a multipart/form-data upload (what files.uploadV2 POSTs), or the raw body. */
function uploadedFile(req: IncomingMessage, body: Buffer): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers['content-type'] ?? '');
  if (boundary === null) return body;
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  for (const part of body.toString('latin1').split(delimiter)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0 || !/filename=/i.test(part.slice(0, headerEnd))) continue;
    return Buffer.from(part.slice(headerEnd + 4).replace(/\r\n$/, ''), 'latin1');
  }
  return body;
}

/** Form fields that hold JSON (blocks, view, files…) are decoded, as Slack does. */
function decodeArgs(req: IncomingMessage, body: Buffer): Record<string, unknown> {
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) return JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
    const trimmed = value.trim();
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
      try {
        args[key] = JSON.parse(trimmed);
        continue;
      } catch {
        // not JSON after all
      }
    }
    args[key] = value;
  }
  return args;
}

export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: SlackCall[] = [];
  const uploads: SlackStandIn['uploads'] = [];
  const responses: SlackStandIn['responses'] = [];
  const limits = new Map<string, { retryAfterS: number; times: number }>();
  const failures = new Map<string, { error: string; times: number }>();
  const down = new Set<string>();
  const raw: string[] = [];
  let ts = 1_700_000_000;
  let fileNo = 0;
  const nextTs = (): string => `${ts++}.000100`;
  let base = '';

  const answer = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    switch (method) {
      case 'apps.connections.open':
        return { ok: true, url: `${base.replace('http', 'ws')}/socket` };
      case 'auth.test':
        return {
          ok: true,
          url: 'https://study.slack.example/',
          team: 'Study',
          user: 'mail-updater',
          team_id: 'T0STUDY',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        };
      case 'chat.postMessage':
        return { ok: true, channel: args.channel, ts: nextTs(), message: { text: args.text } };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'views.open':
      case 'views.publish':
        return { ok: true, view: { id: `V${calls.length}`, ...(args.view as object) } };
      case 'files.getUploadURLExternal': {
        const fileId = `F${++fileNo}`;
        return { ok: true, upload_url: `${base}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal':
        return {
          ok: true,
          files: (args.files as { id: string; title?: string }[]).map((f) => ({ id: f.id, title: f.title ?? '' })),
        };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? '/';
      if (path.startsWith('/upload/')) {
        const bytes = uploadedFile(req, body);
        uploads.push({ fileId: path.slice('/upload/'.length), bytes });
        raw.push(bytes.toString('utf8'));
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${body.length}`);
        return;
      }
      if (path.startsWith('/response/')) {
        const decoded = decodeArgs(req, body);
        responses.push({ path, body: decoded });
        raw.push(JSON.stringify(decoded));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return;
      }
      const method = path.replace(/^\/api\//, '').split('?')[0] ?? '';
      const args = decodeArgs(req, body);
      raw.push(JSON.stringify(args));
      const limit = limits.get(method);
      if (limit !== undefined && limit.times > 0) {
        limit.times--;
        calls.push({ method, args, at: Date.now(), rateLimited: true });
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limit.retryAfterS) })
          .end('{"ok":false,"error":"ratelimited"}');
        return;
      }
      if (down.has(method)) {
        calls.push({ method, args, at: Date.now(), rateLimited: false });
        res.writeHead(503, { 'content-type': 'text/plain' }).end('service unavailable');
        return;
      }
      const failure = failures.get(method);
      if (failure !== undefined && failure.times > 0) {
        failure.times--;
        calls.push({ method, args, at: Date.now(), rateLimited: false });
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: false, error: failure.error }));
        return;
      }
      calls.push({ method, args, at: Date.now(), rateLimited: false });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(method, args)));
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  // Socket Mode: Slack greets with "hello", pushes envelopes, the app acks each by envelope_id.
  const sockets: WebSocket[] = [];
  const acks: Record<string, unknown>[] = [];
  const wss = new WebSocketServer({ server, path: '/socket' });
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data) => {
      const text = String(data);
      raw.push(text);
      acks.push(JSON.parse(text) as Record<string, unknown>);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        connection_info: { app_id: 'A0APP' },
        debug_info: { host: 'stand-in' },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const standIn: SlackStandIn = {
    url: base,
    apiUrl: `${base}/api/`,
    calls,
    uploads,
    responses,
    callsOf: (method) => calls.filter((c) => c.method === method && !c.rateLimited),
    rateLimit: (method, retryAfterS, times = 1) => void limits.set(method, { retryAfterS, times }),
    failWith: (method, error, times = 1) => void failures.set(method, { error, times }),
    unavailable: (method, on) => void (on ? down.add(method) : down.delete(method)),
    async waitFor(probe, timeoutMs = 15_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = probe();
        if (value !== undefined && value !== false) return value as never;
        if (Date.now() > deadline)
          throw new Error(
            `Timed out waiting for ${what}; Slack calls so far: ${calls.map((c) => c.method).join(', ')}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    everything: () => raw.join('\n'),
    socket: {
      get connections() {
        return sockets.length;
      },
      acks,
      send: (envelope) => sockets.at(-1)?.send(JSON.stringify(envelope)),
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
  return standIn;
}
