import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { createTeam, invalidFields, startApi, type Team, type TestApi } from './helpers/api.js';
import { insertCall } from './helpers/knowledge.js';
import { startOpenAiStandIn, type OpenAiStandIn } from './helpers/openai-standin.js';

/**
 * Knowledge Fusion under attack and in workflows: another workspace's ids, a viewer editing,
 * hostile markdown and HTML (never executes), NUL / lone surrogates / 10,000-deep JSON / huge
 * text (a clear 400 naming the field), a 4-hour transcript (works); a workflow using both nodes;
 * the same document shape written by an OpenAI-compatible model (the stand-in).
 */

interface Doc {
  id: string;
  html: string;
  markdown: string;
  sections: Array<{ key: string; html: string; provider: string }>;
  provider: string;
}
interface Generated {
  provider: string;
  documents: Array<{ id: string; kind: string }>;
}

let server: TestApi;
let standIn: OpenAiStandIn;

beforeAll(async () => {
  [server, standIn] = await Promise.all([startApi({ engine: true }), startOpenAiStandIn()]);
});
afterAll(async () => {
  await server?.close();
  await standIn?.close();
});

async function proTeam(): Promise<Team> {
  const team = await createTeam(server);
  await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'professional' });
  await billingFor(server.db.knex).accounts.setPlan(team.outsider.account.workspaceId, {
    planId: 'professional',
  });
  return team;
}

const pasted =
  'Rep: Hello there, thanks for your time today, shall we begin?\nProspect: Honestly the price is too high for our budget.\nRep: Most teams pay it back in one quarter.\nProspect: That makes sense.';

describe('tenants and roles', () => {
  it("never shows or uses another workspace's documents and calls", async () => {
    const team = await proTeam();
    const mine = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const theirs = `/api/v1/workspaces/${team.outsider.account.workspaceId}/knowledge`;
    const made = await team.member.client.post<Generated>(`${mine}/generate`, {
      texts: [{ title: 'Secret call', text: pasted }],
    });
    const id = made.body.documents[0]!.id;
    const callId = await insertCall(server.db.knex, team.workspaceId, 'Secret call', [
      ['Rep', 'We use Gong.'],
    ]);
    const outsider = team.outsider.client;
    for (const path of [`${mine}/documents/${id}`, `${mine}/documents`, `${mine}/documents/${id}/history`])
      expect((await outsider.get(path)).status).toBe(404);
    for (const path of [
      `${theirs}/documents/${id}`,
      `${theirs}/documents/${id}/history`,
      `${theirs}/documents/${id}/views`,
    ]) {
      const response = await outsider.get(path);
      expect(response.status).toBe(404);
      expect(response.text).not.toContain('Secret call');
    }
    expect((await outsider.patch(`${theirs}/documents/${id}`, { title: 'Mine now' })).status).toBe(404);
    expect((await outsider.delete(`${theirs}/documents/${id}`)).status).toBe(404);
    expect((await outsider.post(`${theirs}/documents/${id}/views`, {})).status).toBe(404);
    const foreignCall = await outsider.post(`${theirs}/generate`, { callIds: [callId] });
    expect(foreignCall.status).toBe(404);
    expect(invalidFields(foreignCall.body)).toEqual(['callIds.0']);
    const search = await outsider.get<{ items: unknown[] }>(`${theirs}/documents?q=price`);
    expect(search.body.items).toEqual([]);
  });

  it('lets a viewer read and search but not edit, generate or create', async () => {
    const team = await proTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const made = await team.member.client.post<Generated>(`${base}/generate`, {
      texts: [{ title: 'Call', text: pasted }],
    });
    const id = made.body.documents[0]!.id;
    expect((await team.viewer.client.get(`${base}/documents/${id}`)).status).toBe(200);
    expect(
      (await team.viewer.client.patch(`${base}/documents/${id}`, { title: 'Viewer was here' })).status,
    ).toBe(403);
    expect(
      (await team.viewer.client.post(`${base}/generate`, { texts: [{ title: 'x', text: pasted }] })).status,
    ).toBe(403);
    expect(
      (
        await team.viewer.client.post(`${base}/documents`, {
          kind: 'faq',
          title: 'x',
          sections: [{ heading: 'a', body: 'b' }],
        })
      ).status,
    ).toBe(403);
    const doc = await team.viewer.client.get<{ title: string }>(`${base}/documents/${id}`);
    expect(doc.body.title).not.toBe('Viewer was here');
  });
});

describe('hostile input', () => {
  it('renders hostile markdown and HTML as inert text: no script, no handler, no javascript: link', async () => {
    const team = await proTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const hostile = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(2)>',
      '[click](javascript:alert(3))',
      '<a href="javascript:alert(4)">x</a>',
      '<iframe src="https://evil.example"></iframe>',
      '<svg onload=alert(5)>',
      '<div style="background:url(javascript:alert(6))" onclick="alert(7)">hi</div>',
    ].join('\n\n');
    const created = await team.member.client.post<Doc>(`${base}/documents`, {
      kind: 'faq',
      title: '<script>alert("title")</script>',
      sections: [{ heading: '<img src=x onerror=alert(8)>', body: hostile }],
    });
    expect(created.status, created.text).toBe(201);
    for (const html of [created.body.html, created.body.sections[0]!.html]) {
      // Tags only (escaped text such as "&lt;img onerror" is inert): no active element, handler, style or script URL.
      expect(html).not.toMatch(/<(script|iframe|svg|img|div)\b/i);
      expect(html).not.toMatch(/<[^>]*\s(on\w+|style)\s*=/i);
      expect(html).not.toMatch(/<[^>]*(href|src)\s*=\s*["']?\s*javascript:/i);
    }
    // Generated quotes are escaped: a prospect's "<script>" is text in the document.
    const generated = await team.member.client.post<Generated>(`${base}/generate`, {
      texts: [
        {
          title: 'Call <b>x</b>',
          text: 'Rep: Hi there, welcome to the call today everyone.\nProspect: The price <script>alert(9)</script> is too high [x](javascript:alert(1)).\nRep: We offer a pilot.',
        },
      ],
    });
    const handler = generated.body.documents.find((d) => d.kind === 'objection_handler')!;
    const doc = await team.member.client.get<Doc>(`${base}/documents/${handler.id}`);
    expect(doc.body.html).not.toMatch(/<script|<b>|<a\b/i);
    expect(doc.body.html).toContain('&lt;script&gt;');
  });

  it('answers NUL, lone surrogates, deep JSON and huge text with a 400 naming the field', async () => {
    const team = await proTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const client = team.member.client;
    const nul = await client.post(`${base}/generate`, {
      texts: [{ title: 'a', text: 'Rep: hi\u0000there' }],
    });
    expect(nul.status).toBe(400);
    expect(invalidFields(nul.body)).toEqual(['body.texts.0.text']);
    const surrogate = await client.post(`${base}/documents`, {
      kind: 'faq',
      title: 'bad \ud800 title',
      sections: [{ heading: 'h', body: 'b' }],
    });
    expect(surrogate.status).toBe(400);
    expect(invalidFields(surrogate.body)).toEqual(['body.title']);
    const deep = await client.post(`${base}/generate`, undefined, {
      rawBody: `{"texts":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    });
    expect(deep.status).toBe(400);
    expect(deep.body.invalidParams?.[0]?.name).toMatch(/^body\.texts/);
    const huge = await client.post(`${base}/generate`, {
      texts: [{ title: 'a', text: 'x'.repeat(1_000_001) }],
    });
    expect([400, 413]).toContain(huge.status);
    if (huge.status === 400) expect(invalidFields(huge.body)).toEqual(['body.texts.0.text']);
    const badQuery = await client.get(`${base}/documents?q=${encodeURIComponent('a\u0000b')}`);
    expect(badQuery.status).toBe(400);
    const badKind = await client.get(`${base}/documents?kind=memo`);
    expect(invalidFields(badKind.body)).toEqual(['query.kind']);
    const badId = await client.get(`${base}/documents/not-a-uuid`);
    expect(badId.status).toBe(404);
    const odd = await client.get<{ items: unknown[] }>(
      `${base}/documents?q=${encodeURIComponent('")(&|!:* OR -')}`,
    );
    expect(odd.status).toBe(200);
  });

  it('reads a 4-hour call transcript', async () => {
    const team = await proTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const lines: Array<[string, string]> = [];
    for (let i = 0; lines.length < 1_440; i += 1) {
      lines.push([
        'Rep',
        `Point ${i}: our customers usually save time when renewals are automated, for example with reminders.`,
      ]);
      lines.push([
        'Prospect',
        i % 10 === 0
          ? 'The price is too high for our budget this year.'
          : `Understood, tell me more about step ${i}.`,
      ]);
    }
    const callId = await insertCall(server.db.knex, team.workspaceId, 'Four-hour workshop', lines);
    const started = Date.now();
    const generated = await team.member.client.post<Generated>(`${base}/generate`, { callIds: [callId] });
    expect(generated.status, generated.text).toBe(200);
    expect(generated.body.documents.map((d) => d.kind)).toContain('objection_handler');
    expect(Date.now() - started).toBeLessThan(120_000);
  }, 180_000);
});

describe('in workflows and with a model', () => {
  it('runs knowledge.generate then knowledge.search in one workflow: the objection handler reaches the reply draft', async () => {
    const team = await proTeam();
    const root = `/api/v1/workspaces/${team.workspaceId}`;
    const created = await team.member.client.post<{ id: string }>(`${root}/workflows`, {
      schemaVersion: 1,
      name: 'Call to knowledge to reply',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        {
          id: 'learn',
          type: 'knowledge.generate',
          config: { text: '{{ input.transcript }}', title: 'Workflow call' },
        },
        {
          id: 'find',
          type: 'knowledge.search',
          config: { query: 'price budget', kind: 'objection_handler' },
        },
        {
          id: 'draft',
          type: 'data.set',
          config: { fields: [{ name: 'draft', value: '{{ nodes.find.output.top.markdown }}' }] },
        },
      ],
      edges: [
        { from: 'start', to: 'learn' },
        { from: 'learn', to: 'find' },
        { from: 'find', fromPort: 'found', to: 'draft' },
      ],
    });
    expect(created.status, created.text).toBe(201);
    expect((await team.member.client.post(`${root}/workflows/${created.body.id}/publish`, {})).status).toBe(
      201,
    );
    const run = await team.member.client.post<{ id: string }>(`${root}/workflows/${created.body.id}/runs`, {
      input: { transcript: pasted },
    });
    expect([201, 202], run.text).toContain(run.status);
    let body: {
      status: string;
      steps: Array<{
        nodeId: string;
        ports: string[];
        output: Record<string, unknown> | null;
        error: unknown;
      }>;
    };
    const deadline = Date.now() + 30_000;
    for (;;) {
      body = (await team.member.client.get<typeof body>(`${root}/runs/${run.body.id}`)).body;
      if (['succeeded', 'failed'].includes(body.status) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(body.status, JSON.stringify(body.steps)).toBe('succeeded');
    const find = body.steps.find((s) => s.nodeId === 'find')!;
    expect(find.ports).toEqual(['found']);
    const draft = body.steps.find((s) => s.nodeId === 'draft')!.output as { draft: string };
    expect(draft.draft).toContain('Most teams pay it back in one quarter');
    const doc = await team.member.client.get<{ sources: Array<{ sourceType: string; sourceRef: string }> }>(
      `${root}/knowledge/documents/${(find.output as { top: { id: string } }).top.id}`,
    );
    expect(doc.body.sources).toEqual([
      expect.objectContaining({ sourceType: 'run', sourceRef: run.body.id }),
    ]);
  });

  it('writes the same document shape as prose with an OpenAI-compatible model, saying which provider wrote each section', async () => {
    const team = await proTeam();
    const root = `/api/v1/workspaces/${team.workspaceId}`;
    expect(
      (await team.admin.client.put(`${root}/outbound-hosts`, { hosts: [`127.0.0.1:${standIn.port}`] }))
        .status,
    ).toBe(200);
    const credential = await team.admin.client.post<{ id: string }>(`${root}/credentials`, {
      name: 'Team LLM',
      type: 'openaiCompatible',
      data: { baseUrl: standIn.baseUrl, apiKey: 'sk-knowledge-0001', model: 'gpt-test' },
    });
    expect(credential.status, credential.text).toBe(201);
    expect(
      (
        await team.admin.client.put(`${root}/ai/settings`, {
          provider: 'openai-compatible',
          credentialId: credential.body.id,
        })
      ).status,
    ).toBe(200);
    standIn.reset();
    standIn.fallback = () => ({
      content: 'When budget comes up, offer a **pilot**: teams pay it back in one quarter.',
    });
    const generated = await team.member.client.post<Generated>(`${root}/knowledge/generate`, {
      texts: [{ title: 'Call', text: pasted }],
      kinds: ['objection_handler'],
    });
    expect(generated.status, generated.text).toBe(200);
    expect(generated.body.provider).toBe('openai-compatible');
    const doc = await team.member.client.get<Doc>(
      `${root}/knowledge/documents/${generated.body.documents[0]!.id}`,
    );
    expect(doc.body.sections[0]).toMatchObject({ provider: 'openai-compatible' });
    expect(doc.body.sections[0]!.html).toContain('<strong>pilot</strong>');
    expect(doc.body.provider).toBe('openai-compatible');
    const prompt = standIn.requests[0]!.body.messages!.map((m) => m.content).join('\n');
    expect(prompt).toContain('the price is too high for our budget');
    // Asked for the local provider, the same request is extractive again.
    const local = await team.member.client.post<Generated>(`${root}/knowledge/generate`, {
      texts: [{ title: 'Call 2', text: pasted.replace('too high', 'far too high') }],
      kinds: ['objection_handler'],
      provider: 'local',
    });
    expect(local.body.provider).toBe('local');
  });
});
