/**
 * W1 over HTTP (issue 7): `trigger.webhook` (respondNode) → `data.set` → `logic.if` →
 * `code.javascript` → `webhook.respond`, a small JSON body, loaded with autocannon at 10 and
 * 50 connections over loopback. The server runs in its own process exactly as `npm start`
 * starts it; in queue mode with 1 and 2 `npm run worker` processes, a throwaway redis-server
 * and an embedded Postgres this bench starts and shares with all of them.
 *
 * Run alone:  node --no-node-snapshot --import tsx bench/run.ts w1
 * Options (environment):
 *   REVFLOW_BENCH_W1_MODES=embedded,queue1,queue2   which modes (default all three)
 *   REVFLOW_BENCH_W1_SECONDS=10                     load per connection count (after 2 s warm-up)
 *   REVFLOW_BENCH_W1_CONNECTIONS=10,50
 *   REVFLOW_BENCH_CPU_PROF=<dir>                    run the API process with --cpu-prof into <dir>
 */
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '../api/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../api/db/embedded-postgres.js';
import { findFreePort } from '../api/db/ports.js';
import { startRedisServer, type RedisServer } from '../tests/setup/redis.js';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { w1Document } from './engine.bench.js';
import {
  cpuMsOf,
  descendants,
  loadAverage,
  rssSampler,
  spawnRevflow,
  waitForHttp,
  waitForLine,
  type Proc,
  type RevflowLaunch,
} from './procs.js';
import type { Figure } from './stats.js';

export type Mode = 'embedded' | 'queue1' | 'queue2';

const modeTitle: Record<Mode, string> = {
  embedded: 'embedded',
  queue1: 'queue, 1 worker',
  queue2: 'queue, 2 workers',
};

const body = JSON.stringify({ qty: 3, price: 99, customer: 'cus_123', email: 'lead@example.com' });

export interface Stack {
  mode: Mode;
  /** The environment the workers were started with (to add one). */
  workerEnv: Record<string, string>;
  launch: RevflowLaunch | undefined;
  baseUrl: string;
  spawnedAt: number;
  api: Proc;
  workers: Proc[];
}

/** Sign up, create a webhook workflow, publish, activate; answers the webhook URL. */
export async function setUpWebhookWorkflow(
  baseUrl: string,
  document: WorkflowDocumentInput,
  check: { path: string; body: string; answerIncludes: string },
): Promise<string> {
  const signup = await fetch(`${baseUrl}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-${Date.now()}@example.com`,
      password: 'correct Horse battery 9',
      name: 'Bench',
    }),
  });
  if (signup.status !== 201) throw new Error(`signup answered ${signup.status}: ${await signup.text()}`);
  const account = (await signup.json()) as { workspace: { id: string } };
  const cookie = signup.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const headers = { 'content-type': 'application/json', cookie, 'x-revflow-csrf': '1' };
  const base = `${baseUrl}/api/v1/workspaces/${account.workspace.id}/workflows`;
  const created = await fetch(base, { method: 'POST', headers, body: JSON.stringify(document) });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  for (const step of ['publish', 'activate']) {
    const response = await fetch(`${base}/${id}/${step}`, { method: 'POST', headers, body: '{}' });
    if (!response.ok) throw new Error(`${step} answered ${response.status}: ${await response.text()}`);
  }
  const url = `${baseUrl}/hooks/${account.workspace.id}/${check.path}`;
  const probe = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: check.body,
  });
  const answer = await probe.text();
  if (probe.status !== 200 || !answer.includes(check.answerIncludes)) {
    throw new Error(`${document.name} answered ${probe.status}: ${answer}`);
  }
  return url;
}

const setUpW1 = (baseUrl: string): Promise<string> =>
  setUpWebhookWorkflow(baseUrl, w1Document, { path: 'w1', body, answerIncludes: '"tier":"silver"' });

/** `npm run worker`, at info level: it says "worker ready" once it takes jobs. */
async function startWorker(
  index: number,
  env: Record<string, string>,
  cpuProfDir?: string,
  launch?: RevflowLaunch,
): Promise<Proc> {
  const worker = spawnRevflow(
    `worker ${index}`,
    ['--worker'],
    { ...env, REVFLOW_LOG_LEVEL: 'info' },
    cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
    launch,
  );
  try {
    await waitForLine(worker, (line) => line.includes('"worker ready"'));
  } catch (error) {
    await worker.stop(5_000);
    throw error;
  }
  return worker;
}

export async function startStack(
  mode: Mode,
  dataDir: string,
  shared: { databaseUrl: string; redisUrl: string } | undefined,
  cpuProfDir: string | undefined,
  /** Another tree or entry and extra environment (A/B comparisons: bench/anchors.bench.ts). */
  variant: { launch?: RevflowLaunch; env?: Record<string, string> } = {},
): Promise<Stack> {
  const port = await findFreePort();
  const spawnedAt = performance.now();
  const common: Record<string, string> = {
    REVFLOW_LOG_LEVEL: 'warn',
    REVFLOW_DATA_DIR: dataDir,
    // W1 loads one webhook path well past the default per-path limit (1,000/s): lift it.
    REVFLOW_WEBHOOK_RATE_LIMIT: '1000000',
    ...variant.env,
  };
  const queue: Record<string, string> = shared
    ? {
        DATABASE_URL: shared.databaseUrl,
        REDIS_URL: shared.redisUrl,
        REVFLOW_QUEUE_NAME: `bench-${mode}-${Date.now()}`,
        // Required with an external database; a throwaway key for the bench.
        REVFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      }
    : { DATABASE_URL: '', REDIS_URL: '' };
  const api = spawnRevflow(
    `api (${mode})`,
    [],
    { ...common, ...queue, PORT: String(port), HOST: '127.0.0.1' },
    cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
    variant.launch,
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const workers: Proc[] = [];
  try {
    await waitForHttp(`${baseUrl}/readyz`, api);
    const count = mode === 'queue1' ? 1 : mode === 'queue2' ? 2 : 0;
    for (let i = 0; i < count; i += 1)
      workers.push(await startWorker(i + 1, { ...common, ...queue }, cpuProfDir, variant.launch));
    return {
      mode,
      workerEnv: { ...common, ...queue },
      launch: variant.launch,
      baseUrl,
      spawnedAt,
      api,
      workers,
    };
  } catch (error) {
    await Promise.all([api, ...workers].map((proc) => proc.stop(5_000)));
    throw error;
  }
}

export async function stopStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await Promise.all(stack.workers.map((worker) => worker.stop()));
  await stack.api.stop();
}

interface Load {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  total: number;
}

export async function load(
  url: string,
  connections: number,
  seconds: number,
  requestBody: string = body,
): Promise<Load> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body: requestBody,
    timeout: 30,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

export async function benchW1(): Promise<Figure[]> {
  const modes = (process.env.REVFLOW_BENCH_W1_MODES ?? 'embedded,queue1,queue2')
    .split(',')
    .filter(Boolean) as Mode[];
  const seconds = Number(process.env.REVFLOW_BENCH_W1_SECONDS ?? 10);
  const connectionCounts = (process.env.REVFLOW_BENCH_W1_CONNECTIONS ?? '10,50').split(',').map(Number);
  const cpuProfDir = process.env.REVFLOW_BENCH_CPU_PROF;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'revflow-w1-'));
  // Postgres runs as the `postgres` user and must be able to pass through (mkdtemp makes 0700).
  await chmod(tmp, 0o711);
  for (const dir of ['shared', ...modes]) await mkdir(path.join(tmp, dir), { mode: 0o711 });
  const figures: Figure[] = [];
  let current: { stack: Stack; url: string } | undefined;
  let postgres: EmbeddedPostgresServer | undefined;
  let redis: RedisServer | undefined;
  try {
    for (const mode of modes) {
      let shared: { databaseUrl: string; redisUrl: string } | undefined;
      if (mode !== 'embedded') {
        if (!postgres) {
          postgres = await startEmbeddedPostgres({ clusterDir: path.join(tmp, 'shared', 'pg') });
          redis = await startRedisServer();
        }
        const database = 'bench_queue';
        await ensureDatabase(postgres.url('postgres'), database);
        shared = { databaseUrl: postgres.url(database), redisUrl: redis!.url };
      }
      let stack: Stack;
      if (mode === 'queue2' && current?.stack.mode === 'queue1') {
        // Same API, database and queue as with one worker: add the second worker.
        stack = current.stack;
        stack.mode = mode;
        stack.workers.push(await startWorker(2, stack.workerEnv, undefined, stack.launch));
      } else {
        await stopStack(current?.stack);
        current = undefined;
        stack = await startStack(mode, path.join(tmp, mode), shared, cpuProfDir);
        current = { stack, url: await setUpW1(stack.baseUrl) };
      }
      const url = current.url;
      {
        const pids = [stack.api.pid, ...stack.workers.map((worker) => worker.pid)];
        for (const connections of connectionCounts) {
          await load(url, connections, 2); // warm-up
          // Postgres: started by the server (embedded) or by this bench (queue mode); redis likewise.
          const pgPids = descendants(mode === 'embedded' ? stack.api.pid : process.pid, 'postgres');
          const redisPids = mode === 'embedded' ? [] : descendants(process.pid, 'redis-server');
          const cpuBefore = [cpuMsOf(pids), cpuMsOf(pgPids), cpuMsOf(redisPids)];
          const rss = rssSampler(() => pids);
          const loadStarted = performance.now();
          const result = await load(url, connections, seconds);
          const loadEnded = performance.now();
          const peak = rss.stop();
          const [ownCpu, pgCpu, redisCpu] = [cpuMsOf(pids), cpuMsOf(pgPids), cpuMsOf(redisPids)].map(
            (after, i) => (after - cpuBefore[i]!) / Math.max(1, result.total),
          );
          if (cpuProfDir) {
            process.stderr.write(
              `  cpu profile window (s after the server was spawned): ${((loadStarted - stack.spawnedAt) / 1000).toFixed(1)}..${((loadEnded - stack.spawnedAt) / 1000).toFixed(1)}\n`,
            );
          }
          const load1 = loadAverage();
          const label = `W1 ${modeTitle[mode]}, ${connections} conns`;
          const push = (name: string, value: number, unit: string, target?: string): void => {
            figures.push({ name: `${label}: ${name}`, value, unit, target, load: load1 });
          };
          push('requests/s', result.requestsPerSecond, 'req/s', connections === 50 ? '≥ 2,700' : undefined);
          push('p50 latency', result.p50, 'ms');
          push('p99 latency', result.p99, 'ms', connections === 50 ? '≤ 40 ms' : undefined);
          push('max latency', result.max, 'ms');
          push(`errors + non-2xx (of ${result.total})`, result.errors + result.non2xx, '');
          push(
            `peak RSS, ${pids.length === 1 ? 'server process' : `API + ${pids.length - 1} worker(s), summed`}`,
            peak,
            'MB',
            '< 500 MB',
          );
          push(
            `CPU per request, ${pids.length === 1 ? 'server process' : 'API + workers'}`,
            ownCpu!,
            'ms',
            '≈ 0.5 ms',
          );
          push('CPU per request, Postgres (all backends)', pgCpu!, 'ms');
          if (mode !== 'embedded') push('CPU per request, redis-server', redisCpu!, 'ms');
          process.stderr.write(
            `  ${label}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.p99} ms (load ${load1})\n`,
          );
        }
      }
    }
    return figures;
  } finally {
    await stopStack(current?.stack);
    await redis?.stop();
    await postgres?.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
