import { expect } from 'vitest';
import type { Team, TestApi } from './api.js';

/** Helpers of the observability, retention and ops-gaps suites (issue 19). */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies read by tests
export type Body = any;

export const w1 = (path: string) => ({
  schemaVersion: 1,
  name: `W1 ${path}`,
  nodes: [
    { id: 'hook', type: 'trigger.webhook', config: { path, responseMode: 'respondNode' } },
    {
      id: 'shape',
      type: 'data.set',
      config: { fields: [{ name: 'total', value: '{{ input.body.qty * input.body.price }}' }] },
    },
    { id: 'big', type: 'logic.if', config: { condition: { '>': [{ var: 'input.total' }, 100] } } },
    {
      id: 'score',
      type: 'code.javascript',
      config: { source: 'return { total: input.total, tier: input.total > 500 ? "gold" : "silver" }' },
    },
    { id: 'reply', type: 'webhook.respond', config: { status: 200 } },
  ],
  edges: [
    { from: 'hook', to: 'shape' },
    { from: 'shape', to: 'big' },
    { from: 'big', fromPort: 'true', to: 'score' },
    { from: 'score', to: 'reply' },
  ],
});

/** Create, publish and activate a workflow as the team's member; its id. */
export async function publish(team: Team, document: unknown): Promise<string> {
  const base = `/api/v1/workspaces/${team.workspaceId}`;
  const created = await team.member.client.post<Body>(`${base}/workflows`, document);
  expect(created.status, created.text).toBe(201);
  const id = created.body.id as string;
  const published = await team.member.client.post<Body>(`${base}/workflows/${id}/publish`, {});
  expect(published.status, published.text).toBe(201);
  const activated = await team.member.client.post<Body>(`${base}/workflows/${id}/activate`);
  expect(activated.status, activated.text).toBe(200);
  return id;
}

export function hook(server: TestApi, team: Team, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}/hooks/${team.workspaceId}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The run (with steps) once it finished. */
export async function finishedRun(team: Team, runId: string): Promise<Body> {
  const base = `/api/v1/workspaces/${team.workspaceId}`;
  for (let i = 0; i < 200; i += 1) {
    const run = await team.viewer.client.get<Body>(`${base}/runs/${runId}`);
    if (run.status === 200 && ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.body.status))
      return run.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} did not finish`);
}

/** `GET /metrics` parsed: series text (`name{labels}`) → value. */
export async function scrape(server: TestApi): Promise<Map<string, number>> {
  const response = await fetch(`${server.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  const series = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** The sum of every series of `name` whose labels include all of `labels`. */
export function metric(series: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of series) {
    const brace = key.indexOf('{');
    const base = brace === -1 ? key : key.slice(0, brace);
    if (base !== name) continue;
    const text = brace === -1 ? '' : key.slice(brace);
    if (Object.entries(labels).every(([label, wanted]) => text.includes(`${label}="${wanted}"`))) total += value;
  }
  return total;
}
