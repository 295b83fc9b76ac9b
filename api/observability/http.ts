import { createServer, type Server } from 'node:http';
import type { RequestHandler } from 'express';
import { registry } from '../metrics.js';
import { ChildCache, ingressMetrics, type CounterChild } from './metrics.js';

/** Which kind of caller a /hooks path serves: a few fixed names, never the path itself. */
function sourceOf(path: string): string {
  if (path.startsWith('/stripe')) return 'stripe';
  if (path.startsWith('/outbound')) return 'outbound';
  return 'workflow';
}

const answers = new ChildCache<ChildCache<CounterChild>>(
  (source) =>
    new ChildCache((status) => ingressMetrics.webhookResponses.labels({ source, status })),
);

/**
 * Counts every answer under /hooks by source and status (mounted at '/hooks', before the
 * ingress). One `finish` listener per request; label children are cached by string.
 */
export function webhookMetrics(): RequestHandler {
  return (req, res, next) => {
    const source = sourceOf(req.path);
    res.once('finish', () => answers.get(source).get(String(res.statusCode)).inc());
    next();
  };
}

/**
 * `GET /metrics` for a process without the API (a queue-mode worker): REVFLOW_METRICS_PORT.
 * Same token rule as the API's endpoint when REVFLOW_METRICS_TOKEN is set.
 */
export function startMetricsServer(options: {
  port: number;
  host: string;
  token?: string | undefined;
}): Promise<Server> {
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics' || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics here\n');
      return;
    }
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Send Authorization: Bearer <REVFLOW_METRICS_TOKEN>\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
