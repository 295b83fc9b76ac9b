import type { Knex } from 'knex';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AnyNodeType, NodeServices } from '../engine/node.js';
import { BullmqDispatcher } from '../engine/queue/bullmq-dispatcher.js';
import { namespaceOf, type QueueTopology } from '../engine/queue/names.js';
import { QueueScheduler } from '../engine/queue/queue-scheduler.js';
import { QueueWorker } from '../engine/queue/queue-worker.js';
import { RedisRunEventBus } from '../engine/queue/redis-run-event-bus.js';
import { TickWorker } from '../engine/queue/tick-worker.js';
import type { NodeRegistry } from '../engine/registry.js';
import { Runtime, type RuntimeLogger, type RuntimeOptions } from '../engine/runtime.js';
import { IsolateSandbox } from '../engine/sandbox/isolate-sandbox.js';
import { EmbeddedScheduler } from '../engine/schedule/embedded-scheduler.js';
import type { Scheduler } from '../engine/schedule/source.js';
import { createNodeRegistry } from '../nodes/index.js';
import { RunQuota } from './billing/run-quota.js';
import type { AppConfig } from './config.js';
import { PgRunStore } from './db/pg-run-store.js';
import { PgScheduleSource } from './db/schedule-source.js';
import { Observability } from './observability/index.js';
import { loadQueueConfig, type QueueConfig } from './queue-config.js';
import { safetyOutboundGuard } from './safety/guard.js';

export interface RuntimeBundle {
  runtime: Runtime;
  registry: NodeRegistry;
  store: PgRunStore;
  sandbox: IsolateSandbox;
  /** 'queue' when REDIS_URL is set (api and worker roles). */
  mode: 'embedded' | 'queue';
  /** Fires schedule triggers (api role); call `refresh()` after activating or deactivating a workflow. */
  scheduler: Scheduler | undefined;
  /** Metrics, run logs and (with OTEL_EXPORTER_OTLP_ENDPOINT) traces of this runtime's runs. */
  observability: Observability;
  /** Start the runtime, then the scheduler and (worker role) the queue workers. */
  start(): Promise<void>;
  /** Worker role: stop taking jobs; true when in-flight runs finished within `timeoutMs`. */
  drain(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface RuntimeFactoryOptions {
  /**
   * - 'local' (default): runs execute in this process, no scheduler (the CLI).
   * - 'api' (`npm start`): embedded, or with REDIS_URL queue mode, where it dispatches through
   *   BullMQ and executes nothing; runs the scheduler.
   * - 'worker' (`npm run worker`): executes runs and schedule ticks from the queue.
   */
  role?: 'local' | 'api' | 'worker';
  /** Node types beyond the core library (tests). */
  nodeTypes?: AnyNodeType[];
  /** Default: from the environment. */
  queue?: QueueConfig;
  /** Runtime options to override (tests: staleAfterMs, sweepIntervalMs). */
  runtime?: Partial<RuntimeOptions>;
}

/** The engine as the server, a worker and the CLI run it: real store, real sandbox, core nodes. */
export function createRuntime(
  config: AppConfig,
  knex: Knex,
  logger: Logger,
  services: NodeServices = {},
  options: RuntimeFactoryOptions = {},
): RuntimeBundle {
  const role = options.role ?? 'local';
  const registry = createNodeRegistry(options.nodeTypes);
  const store = new PgRunStore(knex);
  const sandbox = new IsolateSandbox({
    limits: { memoryMb: config.REVFLOW_SANDBOX_MEMORY_MB, cpuTimeoutMs: config.REVFLOW_SANDBOX_TIMEOUT_MS },
  });
  const runtimeLogger: RuntimeLogger = {
    info: (data, message) => logger.info(data, message),
    warn: (data, message) => logger.warn(data, message),
    error: (data, message) => logger.error(data, message),
  };
  const queueConfig = role !== 'local' && config.REDIS_URL ? (options.queue ?? loadQueueConfig()) : undefined;
  if (role === 'worker' && !queueConfig) throw new Error('A worker needs queue mode: set REDIS_URL');
  const topology: QueueTopology | undefined =
    queueConfig && config.REDIS_URL
      ? { redisUrl: config.REDIS_URL, queueName: queueConfig.REVFLOW_QUEUE_NAME }
      : undefined;

  const runQuota = new RunQuota(knex);
  const observability = new Observability({
    logger: runtimeLogger,
    knex,
    serviceName: role === 'worker' ? 'revflow-worker' : role === 'api' ? 'revflow-api' : 'revflow-cli',
  });
  const runtime = new Runtime({
    // Who ran a run, readable in the run API (runs.executed_by): host, pid and a unique tail.
    executorId: `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    observer: observability.observer,
    registry,
    store,
    sandbox,
    services,
    concurrency: config.REVFLOW_EXECUTOR_CONCURRENCY,
    maxStepOutputBytes: config.REVFLOW_MAX_STEP_OUTPUT_BYTES,
    staleAfterMs: config.REVFLOW_STALE_EXECUTOR_MS,
    logger: runtimeLogger,
    // Plans cap workflow runs per month (api/billing/plans.ts); refused runs are a 402.
    admit: (request) => runQuota.admit(request.workspaceId),
    // The safety policy again at run time, before every outbound step (api/safety/guard.ts).
    beforeOutbound: safetyOutboundGuard(knex),
    ...(topology && {
      dispatcher: () => new BullmqDispatcher(topology),
      events: new RedisRunEventBus({
        redisUrl: topology.redisUrl,
        namespace: namespaceOf(topology),
        onError: (error) => logger.warn({ err: error }, 'run event bus error'),
      }),
      executes: role === 'worker',
    }),
    ...options.runtime,
  });

  const source = new PgScheduleSource(knex, {
    onInvalid: (trigger, problem) =>
      logger.warn({ ...trigger, problem }, 'a schedule trigger has a bad config; not scheduled'),
  });
  let scheduler: Scheduler | undefined;
  if (role === 'api') {
    scheduler = topology
      ? new QueueScheduler({ runtime, source, topology, logger: runtimeLogger })
      : new EmbeddedScheduler({ runtime, source, logger: runtimeLogger });
  }
  const lockDurationMs = queueConfig?.REVFLOW_QUEUE_LOCK_MS;
  const workers =
    role === 'worker' && topology && queueConfig
      ? {
          runs: new QueueWorker({
            runtime,
            topology,
            concurrency: queueConfig.REVFLOW_WORKER_CONCURRENCY,
            lockDurationMs,
            logger: runtimeLogger,
          }),
          ticks: new TickWorker({ runtime, topology, lockDurationMs, logger: runtimeLogger }),
        }
      : undefined;

  let drained: Promise<boolean> | undefined;
  const drain = (timeoutMs?: number): Promise<boolean> =>
    (drained ??= (async () => {
      if (!workers) return true;
      await workers.ticks.close();
      return workers.runs.close(timeoutMs);
    })());

  return {
    runtime,
    registry,
    store,
    sandbox,
    mode: topology ? 'queue' : 'embedded',
    scheduler,
    observability,
    async start() {
      const queue = runtime.dispatcher instanceof BullmqDispatcher ? runtime.dispatcher.queue : undefined;
      await observability.start(runtime, services, queue);
      await runtime.start();
      await workers?.ticks.start();
      await workers?.runs.start();
      await scheduler?.start();
    },
    drain,
    async close() {
      await scheduler?.stop();
      await drain();
      await runtime.stop();
      await observability.stop();
      sandbox.dispose();
    },
  };
}
