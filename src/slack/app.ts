/**
 * The Bolt app: HTTP mode (POST /slack/events, signatures checked by Bolt, 401 otherwise) or
 * Socket Mode when SLACK_APP_TOKEN is set. GET /healthz and GET /metrics answer in both modes, and
 * so does /unsubscribe (RFC 8058 one-click, GET and POST) when PUBLIC_URL is set. Bolt's and the
 * Web API client's logs go through pino; SLACK_API_URL points the client at a proxy or stand-in.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { HealthMonitor } from '../health/monitor.js';
import { healthzHandler, metricsHandler } from '../health/routes.js';
import { unsubscribeHandler } from '../health/unsubscribe.js';
import { type Logger, slackLogger } from '../logger.js';
import { type BotMetrics, createMetrics } from '../metrics/registry.js';
import type { StateDb } from '../storage/state-db.js';
import { registerAfterSend } from './listeners/after-send.js';
import { registerSlashCommands } from './listeners/commands.js';
import { registerDecisions } from './listeners/decisions.js';
import { registerHome } from './listeners/home.js';
import { observedFetch } from './observed-fetch.js';
import { SlackPoster } from './poster.js';
import type { SlackSyncTiming } from './slack-sync.js';
import { StudyBot } from './study-bot.js';

export interface SlackAppDeps {
  config: Config;
  logger: Logger;
  db: StateDb;
  now?: () => Date;
  /** For tests and the benchmark: faster pacing than Slack's one message per second per channel. */
  postIntervalMs?: number;
  progressIntervalMs?: number;
  /** Tests: faster Slack catch-up and shorter waits on a degraded Slack. */
  slackSync?: Partial<SlackSyncTiming>;
  slackCallBudgetMs?: number;
  nextJobs?: () => { name: string; at: Date | null }[];
}

export interface SlackApp {
  bot: StudyBot;
  /** What GET /healthz reports; serve.ts feeds it the scheduler's heartbeat. */
  health: HealthMonitor;
  metrics: BotMetrics;
  /** Starts listening; resolves with the HTTP port (for /healthz, and /slack/events in HTTP mode). */
  start(): Promise<number>;
  /** Stops taking new work, waits for work in flight, closes the listener. */
  stop(): Promise<void>;
}

/** Slack's default when unset; a given URL is normalised to end in "/" as the client expects. */
export function slackApiUrl(config: Config): string | undefined {
  const url = config.SLACK_API_URL;
  if (url === undefined) return undefined;
  return url.endsWith('/') ? url : `${url}/`;
}

const REFUSED_TOKEN = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
]);

/**
 * Checks the bot token once at start-up: a token Slack refuses is a configuration error (exit 2
 * naming SLACK_BOT_TOKEN), not a bot that runs and fails on every click. Slack being unreachable
 * is only a warning: the bot keeps running and the client retries each call.
 */
export async function checkBotToken(config: Config, logger: Logger): Promise<void> {
  const apiUrl = slackApiUrl(config);
  const client = new webApi.WebClient(config.SLACK_BOT_TOKEN, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 0 },
    logger: slackLogger(logger),
    logLevel: LogLevel.ERROR,
  });
  try {
    const who = await client.auth.test();
    logger.info({ team: who.team, bot_user: who.user_id }, 'Slack token accepted');
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code !== undefined && REFUSED_TOKEN.has(code)) {
      throw new ConfigError([
        {
          variable: 'SLACK_BOT_TOKEN',
          message: `was refused by Slack (${code}); copy the current Bot User OAuth Token (xoxb-...) from the app's "OAuth & Permissions" page.`,
        },
      ]);
    }
    logger.warn(
      { error: (error as Error).message },
      'could not reach Slack to check the token; carrying on, calls will be retried',
    );
  }
}

export function createSlackApp(deps: SlackAppDeps): SlackApp {
  const { config, logger } = deps;
  const log = slackLogger(logger);
  const apiUrl = slackApiUrl(config);
  const now = deps.now ?? (() => new Date());
  const health = new HealthMonitor({
    db: deps.db,
    now,
    slackFailingMs: config.HEALTH_SLACK_FAILING_MINUTES * 60_000,
    stopping: () => bot.stopping,
  });
  const metrics = createMetrics({ config, db: deps.db, now });
  const opsRoutes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/healthz': healthzHandler(() => health),
    '/metrics': metricsHandler(() => metrics),
  };
  // One-click unsubscribe only when the messages point at it (PUBLIC_URL): otherwise 404.
  const unsubscribeRoute =
    config.PUBLIC_URL === undefined
      ? undefined
      : unsubscribeHandler({ db: deps.db, logger, now, studyName: config.STUDY_NAME, outboxDir: config.OUTBOX_DIR });
  // Few, quick retries: a call that keeps failing is retried by the bot's own queue (slack-sync.ts)
  // with the state of that moment, not replayed with stale content half an hour later.
  const clientOptions = {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    logger: log,
    logLevel: LogLevel.WARN,
    timeout: 15_000,
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 4_000 },
    fetch: observedFetch((method, ok, error) => {
      health.slackCall(method, ok, error);
      metrics.slackCall(method, ok);
    }),
  };
  const appToken = config.SLACK_APP_TOKEN;
  const socketMode = appToken !== undefined;
  let bot!: StudyBot;
  // Built here rather than by Bolt: Bolt's own Socket Mode receiver ignores clientOptions, so
  // apps.connections.open would not honour SLACK_API_URL.
  const receiver = socketMode
    ? new SocketModeReceiver({ appToken, logger: log, installerOptions: { clientOptions } })
    : new HTTPReceiver({
        signingSecret: config.SLACK_SIGNING_SECRET ?? '',
        endpoints: '/slack/events',
        logger: log,
        customRoutes: [
          ...Object.entries(opsRoutes).map(([path, handler]) => ({ path, method: ['GET'], handler })),
          ...(unsubscribeRoute === undefined
            ? []
            : [{ path: '/unsubscribe', method: ['GET', 'HEAD', 'POST'], handler: unsubscribeRoute }]),
        ],
      });
  const app = new App({
    ...(config.SLACK_BOT_TOKEN ? { token: config.SLACK_BOT_TOKEN } : {}),
    logger: log,
    clientOptions,
    receiver,
  });
  const poster = new SlackPoster(app.client, logger, { postIntervalMs: deps.postIntervalMs ?? 1100 });
  bot = new StudyBot({
    config,
    logger,
    db: deps.db,
    poster,
    now,
    ...(deps.progressIntervalMs !== undefined ? { progressIntervalMs: deps.progressIntervalMs } : {}),
    ...(deps.slackSync !== undefined ? { slackSync: deps.slackSync } : {}),
    ...(deps.slackCallBudgetMs !== undefined ? { slackCallBudgetMs: deps.slackCallBudgetMs } : {}),
  });
  registerSlashCommands(app, bot);
  registerDecisions(app, bot);
  registerAfterSend(app, bot);
  registerHome(app, bot, deps.nextJobs ?? (() => []));
  app.error(async (error) => {
    logger.error({ error: error.message, code: (error as { code?: string }).code }, 'Slack listener error');
  });

  let healthServer: Server | undefined;
  let httpServer: Server | undefined;
  return {
    bot,
    health,
    metrics,
    async start() {
      if (socketMode) {
        await app.start();
        healthServer = createServer((req, res) => {
          const path = (req.url ?? '').split('?')[0] ?? '';
          const handler =
            path === '/unsubscribe' ? unsubscribeRoute : req.method === 'GET' ? opsRoutes[path] : undefined;
          if (handler) handler(req, res);
          else res.writeHead(404).end();
        });
        await new Promise<void>((resolve) => healthServer!.listen(config.PORT, config.HOST, resolve));
        bot.afterStart();
        return (healthServer.address() as AddressInfo).port;
      }
      httpServer = (await app.start({ port: config.PORT, host: config.HOST })) as Server;
      bot.afterStart();
      return (httpServer.address() as AddressInfo).port;
    },
    async stop() {
      await bot.stop();
      await app.stop();
      if (healthServer) await new Promise<void>((resolve) => healthServer!.close(() => resolve()));
    },
  };
}
