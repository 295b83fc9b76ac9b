import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingSettingsFromEnv } from '../api/observability/tracing.js';
import { createTeam, startApi, type TestApi } from './helpers/api.js';
import { hook, publish, w1, type Body } from './helpers/observability.js';

/**
 * Issue 19: a W1-like run's trace reaches an OTLP/HTTP collector. The stand-in below is what a
 * collector is to the exporter: POST /v1/traces with an ExportTraceServiceRequest as JSON. It
 * also serves GET /api/ping, the API the workflow's HTTP step calls.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string; boolValue?: boolean } }[];
  status?: { code?: number };
}

const spans: OtlpSpan[] = [];
const resources: Body[] = [];
let collector: Server;
let server: TestApi;

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value?.stringValue ?? value?.intValue ?? value?.boolValue;
};

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/api/ping') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"pong":true}');
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      expect(req.headers['content-type']).toMatch(/application\/json/);
      const request = JSON.parse(raw.toString('utf8'));
      for (const resourceSpans of request.resourceSpans ?? []) {
        resources.push(resourceSpans.resource);
        for (const scope of resourceSpans.scopeSpans ?? []) spans.push(...(scope.spans as OtlpSpan[]));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  // The standard variables, as an operator sets them; read when the engine starts.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
  process.env.OTEL_SERVICE_NAME = 'revflow-test';
  server = await startApi({ engine: true });
});

afterAll(async () => {
  await server?.close();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

async function spansOf(traceId: string, count: number): Promise<OtlpSpan[]> {
  for (let i = 0; i < 100; i += 1) {
    const found = spans.filter((span) => span.traceId === traceId);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return spans.filter((span) => span.traceId === traceId);
}

describe('OpenTelemetry traces', () => {
  it('sends a W1-like run to the collector: one trace per run, a span per step, the HTTP call as a child', async () => {
    const team = await createTeam(server);
    const { port } = collector.address() as AddressInfo;
    const allow = await team.admin.client.put<Body>(`/api/v1/workspaces/${team.workspaceId}/outbound-hosts`, {
      hosts: [`127.0.0.1:${port}`],
    });
    expect(allow.status, allow.text).toBe(200);
    const document = w1('traced-w1');
    document.nodes.splice(4, 0, {
      id: 'ping',
      type: 'http.request',
      config: { method: 'GET', url: `http://127.0.0.1:${port}/api/ping?token=secret-in-query` },
    } as never);
    document.edges.splice(3, 1, { from: 'score', to: 'ping' }, { from: 'ping', to: 'reply' });
    const workflowId = await publish(team, document);
    const answer = await hook(server, team, 'traced-w1', { qty: 3, price: 99 });
    expect(answer.status, await answer.clone().text()).toBe(200);
    const runs = await team.viewer.client.get<Body>(`/api/v1/workspaces/${team.workspaceId}/runs`);
    const runId = runs.body.items[0].id as string;

    // The trace id is the run id: a run id is all it takes to find its trace.
    const traceId = runId.replace(/-/g, '');
    const found = await spansOf(traceId, 7);
    const root = found.find((span) => span.name === 'workflow.run');
    expect(root, JSON.stringify(found.map((span) => span.name))).toBeDefined();
    expect(root!.parentSpanId ?? '').toBe('');
    expect(attribute(root!, 'revflow.run.id')).toBe(runId);
    expect(attribute(root!, 'revflow.workflow.id')).toBe(workflowId);
    expect(attribute(root!, 'revflow.run.status')).toBe('succeeded');

    const steps = found.filter((span) => span.name.startsWith('step '));
    expect(steps.map((span) => span.name).sort()).toEqual(
      [
        'step code.javascript',
        'step data.set',
        'step http.request',
        'step logic.if',
        'step trigger.webhook',
        'step webhook.respond',
      ].sort(),
    );
    for (const step of steps) expect(step.parentSpanId).toBe(root!.spanId);

    const httpStep = steps.find((span) => span.name === 'step http.request')!;
    const call = found.find((span) => span.name === 'HTTP GET');
    expect(call).toBeDefined();
    expect(call!.parentSpanId).toBe(httpStep.spanId);
    expect(call!.kind).toBe(3); // CLIENT
    expect(attribute(call!, 'http.response.status_code')).toBe(200);
    expect(attribute(call!, 'url.full')).toBe(`http://127.0.0.1:${port}/api/ping`);
    expect(JSON.stringify(found)).not.toContain('secret-in-query');

    const service = resources
      .flatMap((resource: Body) => resource.attributes as Body[])
      .find((entry: Body) => entry.key === 'service.name');
    expect(service.value.stringValue).toBe('revflow-test');
  });

  it('marks a failed step and its run as errors', async () => {
    const team = await createTeam(server);
    await publish(team, {
      schemaVersion: 1,
      name: 'Fails',
      nodes: [
        { id: 'hook', type: 'trigger.webhook', config: { path: 'trace-fail' } },
        { id: 'boom', type: 'code.javascript', config: { source: 'throw new Error("nope")' } },
      ],
      edges: [{ from: 'hook', to: 'boom' }],
    });
    const accepted = await hook(server, team, 'trace-fail', {});
    const runId = ((await accepted.json())).runId as string;
    const found = await spansOf(runId.replace(/-/g, ''), 3);
    const root = found.find((span) => span.name === 'workflow.run');
    const boom = found.find((span) => span.name === 'step code.javascript');
    expect(root?.status?.code).toBe(2); // ERROR
    expect(boom?.status?.code).toBe(2);
    expect(attribute(boom!, 'revflow.step.status')).toBe('failed');
  });

  it('is off unless an OTLP endpoint is configured', () => {
    expect(tracingSettingsFromEnv({}, 'revflow-api')).toBeUndefined();
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }, 'revflow-api')).toMatchObject({
      url: 'http://c:4318/v1/traces',
      serviceName: 'revflow-api',
    });
    expect(
      tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }, 'x'),
    ).toBeUndefined();
  });
});
