import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of this process, served at `GET /metrics`. Other code adds its own through
 * `metrics.counter/gauge/histogram(...)`, which return the existing metric when the name is
 * already registered (so a module imported twice, or several apps in one test process, is fine):
 *
 *   const started = metrics.counter('revflow_runs_started_total', 'Runs started', ['mode']);
 *   started.inc({ mode: 'queue' });
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

function getOrCreate<T>(name: string, make: () => T, isKind: (metric: unknown) => metric is T): T {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) return make();
  if (!isKind(existing)) throw new Error(`metric ${name} is already registered as another kind`);
  return existing;
}

export const metrics = {
  registry,
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return getOrCreate(
      name,
      () => new Counter<L>({ name, help, labelNames, registers: [registry] }),
      (m): m is Counter<L> => m instanceof Counter,
    );
  },
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return getOrCreate(
      name,
      () => new Gauge<L>({ name, help, labelNames, registers: [registry] }),
      (m): m is Gauge<L> => m instanceof Gauge,
    );
  },
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets?: number[],
  ): Histogram<L> {
    return getOrCreate(
      name,
      () =>
        new Histogram<L>({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) }),
      (m): m is Histogram<L> => m instanceof Histogram,
    );
  },
};

const httpDuration = metrics.histogram(
  'revflow_http_request_duration_seconds',
  'HTTP request duration by route pattern, method and status',
  ['method', 'route', 'status'],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
);

/**
 * Times every request. The route label is the Express pattern (`/api/v1/workspaces/:workspaceId`),
 * never the raw URL, so ids do not explode the number of series; unmatched paths share one label.
 */
export function httpMetrics(): RequestHandler {
  // One labelled child per (method, route, status), found by a string key: observing through
  // the parent hashes a labels object on every request, which shows up in webhook profiles.
  const children = new Map<string, ReturnType<typeof httpDuration.labels>>();
  const childFor = (method: string, route: string, status: string) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = httpDuration.labels({ method, route, status });
      children.set(key, child);
    }
    return child;
  };
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      childFor(req.method, route, String(res.statusCode)).observe(seconds);
    });
    next();
  };
}
