import type { Knex } from 'knex';
import type { Queue } from 'bullmq';
import { InProcessDispatcher } from '../../engine/dispatch.js';
import type { Runtime } from '../../engine/runtime.js';
import { Gauge } from 'prom-client';
import { registry } from '../metrics.js';

/**
 * Gauges read when Prometheus scrapes: runs executing here, runs queued in this process's
 * dispatcher, BullMQ's job counts (queue mode), and unfinished runs in the database by status.
 * Several runtimes may live in one process (tests): each registers a source; gauges sum them.
 */
export interface GaugeSource {
  runtime: Runtime;
  knex: Knex;
  /** Queue mode: the BullMQ queue runs are dispatched to. */
  queue?: Queue;
}

const sources = new Set<GaugeSource>();
const DB_CACHE_MS = 5_000;
const dbCounts = new WeakMap<Knex, { at: number; counts: Promise<Map<string, number>> }>();

function unfinishedCounts(knex: Knex): Promise<Map<string, number>> {
  const cached = dbCounts.get(knex);
  if (cached && Date.now() - cached.at < DB_CACHE_MS) return cached.counts;
  // runs_recoverable_idx covers exactly these statuses: an index-only count, never a scan of all runs.
  const counts = knex('runs')
    .whereIn('status', ['queued', 'running', 'waiting'])
    .groupBy('status')
    .select<{ status: string; count: string }[]>('status', knex.raw('count(*) as count'))
    .then((rows) => new Map(rows.map((row) => [row.status, Number(row.count)])));
  dbCounts.set(knex, { at: Date.now(), counts: counts.catch(() => new Map<string, number>()) });
  return counts;
}

/** A gauge read at scrape time; registered once per process (a second module copy reuses it). */
function scrapeGauge<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  collect: (gauge: Gauge<L>) => void | Promise<void>,
): void {
  if (registry.getSingleMetric(name)) return;
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      return collect(this);
    },
  });
}

function defineGauges(): void {
  scrapeGauge('revflow_runs_executing', 'Runs executing in this process right now', [], (gauge) => {
    let count = 0;
    for (const source of sources) count += source.runtime.engine.runningCount;
    gauge.set(count);
  });
  scrapeGauge(
    'revflow_dispatch_pending',
    'Runs waiting in this process for a free executor slot (in-process dispatcher)',
    [],
    (gauge) => {
      let count = 0;
      for (const source of sources)
        if (source.runtime.dispatcher instanceof InProcessDispatcher) count += source.runtime.dispatcher.pending;
      gauge.set(count);
    },
  );
  scrapeGauge('revflow_queue_jobs', 'BullMQ run jobs by state (queue mode)', ['state'], async (gauge) => {
    const seen = new Set<string>();
    const totals = new Map<string, number>();
    for (const source of sources) {
      const queue = source.queue;
      if (!queue || seen.has(queue.qualifiedName)) continue;
      seen.add(queue.qualifiedName);
      try {
        const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'failed');
        for (const [state, count] of Object.entries(counts)) totals.set(state, (totals.get(state) ?? 0) + count);
      } catch {
        // Redis unreachable: the gauge keeps its last value rather than failing the scrape.
      }
    }
    for (const [state, count] of totals) gauge.set({ state }, count);
  });
  scrapeGauge(
    'revflow_runs_unfinished',
    'Runs in the database not finished yet: queued, running, waiting (read at most every 5 s)',
    ['status'],
    async (gauge) => {
      const seen = new Set<Knex>();
      const totals = new Map<string, number>([
        ['queued', 0],
        ['running', 0],
        ['waiting', 0],
      ]);
      for (const source of sources) {
        if (seen.has(source.knex)) continue;
        seen.add(source.knex);
        const counts = await unfinishedCounts(source.knex).catch(() => new Map<string, number>());
        for (const [status, count] of counts) totals.set(status, (totals.get(status) ?? 0) + count);
      }
      for (const [status, count] of totals) gauge.set({ status }, count);
    },
  );
}

defineGauges();

/** Count this runtime in the gauges until the returned function is called. */
export function registerGaugeSource(source: GaugeSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}
