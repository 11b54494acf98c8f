/** The operations routes on the bot's HTTP listener (both modes): GET /healthz and GET /metrics. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BotMetrics } from '../metrics/registry.js';
import type { HealthMonitor } from './monitor.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function healthzHandler(monitor: () => HealthMonitor): Handler {
  return (_req, res) => {
    const report = monitor().report();
    res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(report));
  };
}

export function metricsHandler(metrics: () => BotMetrics): Handler {
  return (_req, res) => {
    metrics()
      .render()
      .then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
          res.end(body);
        },
        (error: unknown) => {
          // A scrape that cannot read the state DB fails loudly (Prometheus records up=0).
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics unavailable: ${(error as Error).message}\n`);
        },
      );
  };
}
