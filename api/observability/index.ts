import type { Knex } from 'knex';
import type { Queue } from 'bullmq';
import type { NodeServices } from '../../engine/node.js';
import type { Runtime } from '../../engine/runtime.js';
import { registerGaugeSource } from './gauges.js';
import { RunObservability, type ObserverLogger } from './run-observer.js';
import type { RunTracing, TracingSettings } from './tracing.js';

export { webhookMetrics, startMetricsServer } from './http.js';
export { countMailDelivery, countStripeEvent } from './metrics.js';
export { RunObservability } from './run-observer.js';

export interface ObservabilityOptions {
  logger: ObserverLogger;
  knex: Knex;
  /** Default service name for traces: revflow-api, revflow-worker, revflow-cli. */
  serviceName: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Tests: explicit tracing settings instead of the OTEL_* environment. */
  tracing?: TracingSettings | false;
}

/**
 * Everything the runtime needs for metrics, logs and traces. `observer` goes into the engine at
 * once; `start` registers the scrape-time gauges and, when an OTLP endpoint is configured,
 * loads the tracing module (never imported otherwise: tracing off costs nothing) and wraps the
 * HTTP service so outbound calls become spans.
 */
export class Observability {
  readonly observer: RunObservability;
  private tracing: RunTracing | undefined;
  private unregister: (() => void) | undefined;

  constructor(private readonly options: ObservabilityOptions) {
    const env = options.env ?? process.env;
    const labels = Number(env.REVFLOW_METRICS_WORKFLOW_LABELS);
    this.observer = new RunObservability({
      logger: options.logger,
      ...(Number.isInteger(labels) && labels >= 0 ? { workflowLabels: labels } : {}),
    });
  }

  get tracingEnabled(): boolean {
    return this.tracing !== undefined;
  }

  async start(runtime: Runtime, services: NodeServices, queue?: Queue): Promise<void> {
    this.unregister ??= registerGaugeSource({ runtime, knex: this.options.knex, ...(queue ? { queue } : {}) });
    if (this.tracing || this.options.tracing === false) return;
    const { RunTracing: Tracing, tracingSettingsFromEnv } = await import('./tracing.js');
    const settings =
      this.options.tracing ?? tracingSettingsFromEnv(this.options.env ?? process.env, this.options.serviceName);
    if (!settings) return;
    this.tracing = new Tracing(settings);
    this.observer.attachTracer(this.tracing);
    if (services.http) services.http = this.tracing.wrapHttp(services.http);
    this.options.logger.info({ event: 'tracing.enabled', url: settings.url }, 'OpenTelemetry tracing is on');
  }

  /** Export what is buffered now (tests; before a worker hands its runs back). */
  async flush(): Promise<void> {
    await this.tracing?.flush();
  }

  async stop(): Promise<void> {
    this.unregister?.();
    this.unregister = undefined;
    const tracing = this.tracing;
    this.tracing = undefined;
    this.observer.detachTracer();
    await tracing?.shutdown();
  }
}
