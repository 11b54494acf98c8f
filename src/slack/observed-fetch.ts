/**
 * Every HTTP request of the Web API clients (the bot's, Bolt's per-event ones, Socket Mode's)
 * goes through this fetch, given as the clients' documented `fetch` option: /healthz learns the
 * outcome of the last Slack call, /metrics counts failures by method. One call per HTTP attempt
 * (a retried call that then succeeds is one failure and one success). Slack's platform errors
 * ({ok: false, error}) come back as HTTP 200, so the JSON body is read from a clone.
 */
import type { webApi } from '@slack/bolt';

export type SlackCallObserver = (method: string, ok: boolean, error?: string) => void;

/** A Web API method name (chat.postMessage); anything else (an upload URL) is "other". */
const METHOD = /^[a-z]+(?:\.[a-zA-Z]+)+$/;

function methodOf(url: string | URL): string {
  const last = new URL(String(url)).pathname.split('/').pop() ?? '';
  return METHOD.test(last) ? last : 'other';
}

export function observedFetch(onCall: SlackCallObserver, inner: typeof fetch = fetch): webApi.FetchFunction {
  return async (url, init) => {
    const method = methodOf(url);
    let response: Response;
    try {
      response = await inner(url, init as RequestInit);
    } catch (error) {
      onCall(method, false, (error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable');
      throw error;
    }
    if (!response.ok) {
      onCall(method, false, `http_${response.status}`);
      return response;
    }
    if ((response.headers.get('content-type') ?? '').includes('json')) {
      const body = (await response
        .clone()
        .json()
        .catch(() => undefined)) as { ok?: unknown; error?: unknown } | undefined;
      if (body?.ok === false) {
        const code = typeof body.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : 'error';
        onCall(method, false, code);
        return response;
      }
    }
    onCall(method, true);
    return response;
  };
}
