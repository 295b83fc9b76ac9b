/**
 * Forged platform events (issue 11, item 7): Revflow's own event names (DESIGN §9) are reserved,
 * so no member, admin or API key can post one through the public events API and start a
 * `trigger.event` workflow that listens for it (the upsell template did, then changed the plan).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_EVENT_PREFIXES } from '../api/events/platform.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

let server: TestApi;
let team: Team;
let base: string;

beforeAll(async () => {
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
});
afterAll(async () => {
  await server?.close();
});

describe('platform event names are reserved', () => {
  it('refuses billing.*, nps.*, ... in any case with 400 naming body.name, and starts nothing', async () => {
    const listener = await team.owner.client.post<{ id: string }>(`${base}/workflows`, {
      schemaVersion: 1,
      name: 'Upsell on trial end',
      nodes: [
        { id: 'on', type: 'trigger.event', config: { event: 'billing.trial_will_end' } },
        { id: 'note', type: 'data.set', config: { fields: [{ name: 'upsell', value: true }] } },
      ],
      edges: [{ from: 'on', to: 'note' }],
    });
    expect(listener.status, listener.text).toBe(201);
    expect((await team.owner.client.post(`${base}/workflows/${listener.body.id}/publish`, {})).status).toBe(
      201,
    );
    expect((await team.owner.client.post(`${base}/workflows/${listener.body.id}/activate`)).status).toBe(200);

    const key = await team.admin.client.post<{ key: string }>(`${base}/api-keys`, {
      name: 'events',
      role: 'admin',
    });
    const names = [
      'billing.trial_will_end',
      'billing.expansion_opportunity',
      'Billing.Trial_Will_End',
      'BILLING.trial_will_end',
      'billing',
      ...PLATFORM_EVENT_PREFIXES.map((prefix) => `${prefix}forged`),
    ];
    let tried = 0;
    for (const client of [team.member.client, team.owner.client, server.keyClient(key.body.key)]) {
      for (const name of names) {
        const answer = await client.post(`${base}/events`, {
          id: `forged-${tried++}`,
          name,
          data: { plan: 'enterprise' },
        });
        expect(answer.status, name).toBe(400);
        expect(answer.body.invalidParams?.[0]?.name, name).toBe('body.name');
        expect(answer.body.invalidParams?.[0]?.reason, name).toMatch(/reserved/);
      }
    }
    const stored = await team.viewer.client.get<{ items: unknown[] }>(`${base}/events`);
    expect(stored.body.items).toEqual([]);
    const runs = await team.viewer.client.get<{ items: unknown[] }>(
      `${base}/runs?workflowId=${listener.body.id}`,
    );
    expect(runs.body.items).toEqual([]);
  });

  it('accepts names of your own, including ones that merely contain a platform word', async () => {
    for (const name of ['app.billing_page_viewed', 'crm.deal_won', 'aim.reached', 'sessions.started']) {
      const answer = await team.member.client.post(`${base}/events`, { id: `own-${name}`, name });
      expect(answer.status, name).toBe(202);
    }
  });
});
