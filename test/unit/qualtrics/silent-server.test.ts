/**
 * A Qualtrics address that accepts the connection and then says nothing (or stops half-way
 * through an answer) must fail the sync with a message, in bounded time, never hang it.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { QualtricsClient, QualtricsError } from '../../../src/qualtrics/client.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}`;
}

const client = (baseUrl: string) =>
  new QualtricsClient(
    { baseUrl, apiToken: 'token', surveyId: 'SV_abc', exportTimeoutMs: 60_000, requestTimeoutMs: 300, maxAttempts: 2 },
    createLogger('silent'),
  );

describe('a Qualtrics server that goes silent', () => {
  it('never answering: a timeout error naming the host, after one wait (not one per retry)', async () => {
    const base = await serve(() => undefined); // the request is never answered
    const started = Date.now();
    const error = await client(base)
      .exportResponses()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QualtricsError);
    expect((error as QualtricsError).message).toContain('did not answer within 0.3 s');
    expect((error as QualtricsError).message).toContain('127.0.0.1');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stopping half-way through an answer: an error saying so', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"result": {"progre'); // and nothing more
    });
    const error = await client(base)
      .exportResponses()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QualtricsError);
    expect((error as QualtricsError).message).toContain('the answer stopped after');
  });
});
