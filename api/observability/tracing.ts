import { AsyncLocalStorage } from 'node:async_hooks';
import os from 'node:os';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  RandomIdGenerator,
  type IdGenerator,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { HttpService } from '../../nodes/http/service.js';
import type { RunRecord, StepRecord } from '../../engine/store.js';
import type { StepTracer } from './run-observer.js';

/**
 * OpenTelemetry traces of runs (loaded only when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set: with neither, this module is never imported).
 *
 * - One span per execution of a run (`workflow.run`), whose **trace id is the run id** (a uuid
 *   is 32 hex digits, like a trace id): the parts of a run that waited and resumed on another
 *   worker land in the same trace, and a run id is all it takes to find one.
 * - One child span per step (`step <node type>`), and one grandchild per outbound HTTP call a
 *   node makes through `ctx.services.http` (`HTTP <method>`, kind CLIENT).
 * - Exported over OTLP/HTTP (JSON) in batches; `shutdown()` flushes what is left.
 */
export interface TracingSettings {
  /** The collector's traces URL, e.g. http://127.0.0.1:4318/v1/traces. */
  url: string;
  serviceName: string;
  /** Extra request headers (OTEL_EXPORTER_OTLP_HEADERS, `k=v,k2=v2`). */
  headers?: Record<string, string>;
  /** How long spans wait to be batched (ms). Default 2000. */
  scheduledDelayMs?: number;
}

/** The settings from the standard OTEL_* variables, or undefined: tracing is off. */
export function tracingSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  defaultServiceName: string,
): TracingSettings | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const url = traces ? traces : base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
  if (!url || env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const headers: Record<string, string> = {};
  for (const pair of (env.OTEL_EXPORTER_OTLP_HEADERS ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  return {
    url,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || defaultServiceName,
    headers,
    ...(Number.isFinite(delay) && delay > 0 ? { scheduledDelayMs: delay } : {}),
  };
}

/** Lets the next root span take a chosen trace id (the run's), else a random one. */
class RunIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  next: string | undefined;
  generateTraceId(): string {
    const chosen = this.next;
    this.next = undefined;
    return chosen ?? this.random.generateTraceId();
  }
  generateSpanId(): string {
    return this.random.generateSpanId();
  }
}

const traceIdOf = (runId: string): string | undefined => {
  const hex = runId.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : undefined;
};

const ERROR_STATUSES = new Set(['failed', 'timed_out']);

export class RunTracing implements StepTracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly ids = new RunIdGenerator();
  private readonly runs = new Map<string, Span>();
  private readonly steps = new Map<string, Span>();
  private readonly current = new AsyncLocalStorage<Span>();

  constructor(settings: TracingSettings) {
    const exporter = new OTLPTraceExporter({ url: settings.url, headers: settings.headers ?? {} });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: settings.serviceName,
        [ATTR_SERVICE_VERSION]: process.env.npm_package_version ?? '0.1.0',
        'service.instance.id': `${os.hostname()}:${process.pid}`,
      }),
      idGenerator: this.ids,
      spanProcessors: [
        new BatchSpanProcessor(exporter, { scheduledDelayMillis: settings.scheduledDelayMs ?? 2_000 }),
      ],
    });
    this.tracer = this.provider.getTracer('revflow.engine');
  }

  runStarted(run: RunRecord, resumed: boolean): void {
    this.ids.next = traceIdOf(run.id);
    const span = this.tracer.startSpan(
      'workflow.run',
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'revflow.run.id': run.id,
          'revflow.workflow.id': run.workflowId,
          'revflow.workflow.version_id': run.versionId,
          'revflow.workspace.id': run.workspaceId,
          'revflow.run.trigger_node': run.triggerNodeId,
          'revflow.run.resumed': resumed,
        },
      },
      ROOT_CONTEXT,
    );
    this.ids.next = undefined;
    this.runs.set(run.id, span);
  }

  runEnded(run: RunRecord): void {
    const span = this.runs.get(run.id);
    if (!span) return;
    this.runs.delete(run.id);
    span.setAttribute('revflow.run.status', run.status);
    if (ERROR_STATUSES.has(run.status))
      span.setStatus({ code: SpanStatusCode.ERROR, message: run.error?.message ?? run.status });
    span.end();
  }

  stepStarted(run: RunRecord, nodeId: string, nodeType: string): void {
    const parent = this.runs.get(run.id);
    const span = this.tracer.startSpan(
      `step ${nodeType}`,
      { attributes: { 'revflow.node.id': nodeId, 'revflow.node.type': nodeType, 'revflow.run.id': run.id } },
      parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
    );
    this.steps.set(`${run.id}\u0000${nodeId}`, span);
  }

  stepEnded(run: RunRecord, _nodeType: string, step: StepRecord): void {
    const key = `${run.id}\u0000${step.nodeId}`;
    const span = this.steps.get(key);
    if (!span) return;
    this.steps.delete(key);
    span.setAttribute('revflow.step.status', step.status);
    span.setAttribute('revflow.step.attempts', step.attempts);
    if (step.status === 'failed') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: step.error?.message ?? 'failed' });
      if (step.error?.code) span.setAttribute('revflow.step.error_code', step.error.code);
    }
    span.end();
  }

  withinStep<T>(run: RunRecord, nodeId: string, invoke: () => T): T {
    const span = this.steps.get(`${run.id}\u0000${nodeId}`);
    return span ? this.current.run(span, invoke) : invoke();
  }

  /** The HTTP service with a CLIENT span per request, under the step that made it. */
  wrapHttp(http: HttpService): HttpService {
    return {
      request: async (workspaceId, request) => {
        const parent = this.current.getStore();
        if (!parent) return http.request(workspaceId, request);
        const method = request.method.toUpperCase();
        let target: URL | undefined;
        try {
          target = new URL(request.url);
        } catch {
          target = undefined;
        }
        const span = this.tracer.startSpan(
          `HTTP ${method}`,
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'http.request.method': method,
              // Without the query string: it may carry keys.
              ...(target
                ? {
                    'url.full': `${target.origin}${target.pathname}`,
                    'server.address': target.hostname,
                    ...(target.port ? { 'server.port': Number(target.port) } : {}),
                  }
                : {}),
            },
          },
          trace.setSpan(ROOT_CONTEXT, parent),
        );
        try {
          const response = await http.request(workspaceId, request);
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          return response;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          span.setStatus({ code: SpanStatusCode.ERROR, message });
          if (error instanceof Error) span.recordException(error);
          throw error;
        } finally {
          span.end();
        }
      },
    };
  }

  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  /** End what is still open (runs cut off by a shutdown), export everything, stop. */
  async shutdown(): Promise<void> {
    for (const span of this.steps.values()) span.end();
    for (const span of this.runs.values()) span.end();
    this.steps.clear();
    this.runs.clear();
    await this.provider.shutdown();
  }
}
