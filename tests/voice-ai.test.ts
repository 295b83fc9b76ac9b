import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { createTeam, startApi, type TestApi } from './helpers/api.js';
import { startOpenAiStandIn, type OpenAiStandIn } from './helpers/openai-standin.js';

/**
 * Extraction with an OpenAI-compatible model (the deployment's LLM_BASE_URL), against the local
 * stand-in: the model names owners and deadlines in words; Voice resolves them and computes the
 * dates the same way as the local provider, and says which provider answered.
 */

let server: TestApi;
let standIn: OpenAiStandIn;
const saved = { ...process.env };

beforeAll(async () => {
  standIn = await startOpenAiStandIn();
  Object.assign(process.env, {
    LLM_BASE_URL: standIn.baseUrl,
    LLM_MODEL: 'stand-in-chat',
    REVFLOW_SSRF_ALLOW_HOSTS: `127.0.0.1:${standIn.port}`,
  });
  server = await startApi({ engine: true });
});
afterAll(async () => {
  for (const key of ['LLM_BASE_URL', 'LLM_MODEL', 'REVFLOW_SSRF_ALLOW_HOSTS'] as const) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await server?.close();
  await standIn?.close();
});

describe('extraction with a model', () => {
  it('uses the model through the AI service, resolves its owners and dates, and says provider openai-compatible', async () => {
    const team = await createTeam(server);
    await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'enterprise' });
    standIn.script({
      content: JSON.stringify({
        actionItems: [
          {
            text: 'Send the pricing sheet',
            owner: 'Tom',
            due: 'by Friday',
            priority: 'high',
            quote: 'I can get you the pricing sheet before the weekend',
          },
          {
            text: 'Ask procurement about the PO',
            owner: 'Zed Unknown',
            due: '',
            priority: 'normal',
            quote: 'somebody should ask procurement',
          },
        ],
        decisions: [{ text: 'Annual plan', quote: 'we go annual' }],
        questions: [],
      }),
    });
    const upload = await team.member.client.post<{
      provider: string;
      items: Array<{
        kind: string;
        text: string;
        owner: { name: string } | null;
        ownerReason: string | null;
        dueDate: string | null;
        priority: string;
        startMs: number;
        speaker: string;
        provider: string;
      }>;
    }>(`/api/v1/workspaces/${team.workspaceId}/calls`, {
      title: 'Model call',
      startedAt: '2026-03-04T15:00:00Z',
      participants: [{ name: 'Tom Becker' }, { name: 'Maria Lopez' }],
      transcript:
        '[00:00:10] Tom Becker: I can get you the pricing sheet before the weekend.\n[00:00:20] Maria Lopez: Great, and somebody should ask procurement. OK, we go annual.',
    });
    expect(upload.status, upload.text).toBe(201);
    expect(upload.body.provider).toBe('openai-compatible');
    const actions = upload.body.items.filter((i) => i.kind === 'action');
    expect(actions[0]).toMatchObject({
      text: 'Send the pricing sheet',
      owner: { name: 'Tom Becker' },
      dueDate: '2026-03-06',
      priority: 'high',
      startMs: 10_000,
      speaker: 'Tom Becker',
      provider: 'openai-compatible',
    });
    expect(actions[1]).toMatchObject({ owner: null });
    expect(actions[1]!.ownerReason).toContain('Zed Unknown');
    expect(upload.body.items.filter((i) => i.kind === 'decision')).toHaveLength(1);
    const request = standIn.requests.at(-1)!;
    expect(request.body.response_format?.type).toBe('json_schema');
    expect(request.body.messages?.map((m) => m.content).join('\n')).toContain(
      '[00:10] Tom Becker: I can get you the pricing sheet',
    );

    // Asked for explicitly, the local provider still answers offline.
    const call = (
      await team.member.client.get<{ items: unknown[] }>(`/api/v1/workspaces/${team.workspaceId}/calls`)
    ).body.items[0] as { id: string };
    const local = await team.member.client.post<{ provider: string }>(
      `/api/v1/workspaces/${team.workspaceId}/calls/${call.id}/extract`,
      { provider: 'local' },
    );
    expect(local.body.provider).toBe('local');
  });
});
