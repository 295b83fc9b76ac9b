import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../api/db/ids.js';
import { billingFor } from '../api/billing/hub.js';
import { createTeam, invalidFields, startApi, type Team, type TestApi } from './helpers/api.js';
import { insertCall } from './helpers/knowledge.js';

/**
 * Knowledge Fusion through the HTTP API (issue 14, "Done means"): a battle card appears for a
 * competitor named in two calls and is found by search; objections, questions and talk tracks
 * land in their documents with their sources; a human edit survives regeneration; history and
 * views are kept; the plan gate holds.
 */

interface Doc {
  id: string;
  kind: string;
  title: string;
  competitor: string | null;
  version: number;
  provider: string;
  html: string;
  markdown: string;
  sections: Array<{
    key: string;
    heading: string;
    markdown: string;
    html: string;
    provider: string;
    humanEdited: boolean;
    quotes: number;
  }>;
  sources: Array<{ sourceType: string; sourceRef: string; label: string }>;
  views: { total: number; viewers: number; mine: number };
}
interface Generated {
  provider: string;
  documents: Array<{
    id: string;
    kind: string;
    title: string;
    competitor: string | null;
    created: boolean;
    updatedSections: string[];
    keptHumanSections: string[];
  }>;
}
interface Hits {
  items: Array<{
    id: string;
    kind: string;
    title: string;
    rank: number | null;
    snippet: Array<{ text: string; hit: boolean }>;
  }>;
  total: number;
}

let server: TestApi;

beforeAll(async () => {
  server = await startApi({ engine: true });
});
afterAll(async () => {
  await server?.close();
});

async function proTeam(): Promise<Team> {
  const team = await createTeam(server);
  await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'professional' });
  return team;
}

const callOne: Array<[string, string]> = [
  [
    'Dana',
    'Hi Priya, thanks for making time today. I would love to hear how your team handles call notes now.',
  ],
  ['Priya', 'Sure. We are evaluating Chorus at the moment, their demo was slick.'],
  [
    'Dana',
    'Chorus records calls well; we also turn every call into tasks and a battle card, so nothing gets lost.',
  ],
  ['Priya', 'That makes sense. Honestly the price is a concern, our budget is tight this quarter.'],
  ['Dana', 'We can start with a pilot for one team, and most customers see payback within two months.'],
  ['Priya', 'Okay, that works for us. How long does onboarding usually take?'],
  ['Dana', 'About two weeks, and our team sets up the integrations with you.'],
];
const callTwo: Array<[string, string]> = [
  ['Sam', 'Good morning Alex, thanks for joining. I want to understand how renewals run on your side.'],
  ['Alex', 'We looked at Chorus last month because a colleague uses it.'],
  [
    'Sam',
    'Teams that switch from Chorus to us usually save six hours a week per rep because follow-ups are automatic.',
  ],
  ['Alex', 'Interesting. How long does onboarding take for a team of twenty?'],
  ['Sam', 'Typically two weeks; we run the setup sessions with you.'],
];

describe('generation from calls', () => {
  it('makes a battle card for a competitor named in two calls, linked to both, and search finds it', async () => {
    const team = await proTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const knex = server.db.knex;
    const first = await insertCall(knex, team.workspaceId, 'Discovery with Priya', callOne);
    const second = await insertCall(knex, team.workspaceId, 'Renewal chat with Alex', callTwo);

    const once = await team.member.client.post<Generated>(`${base}/generate`, { callIds: [first] });
    expect(once.status, once.text).toBe(200);
    expect(once.body.provider).toBe('local');
    // Named once, Chorus could be anyone's company: no card yet.
    expect(once.body.documents.map((d) => d.kind).sort()).toEqual(['faq', 'objection_handler', 'playbook']);

    const twice = await team.member.client.post<Generated>(`${base}/generate`, { callIds: [second] });
    expect(twice.status, twice.text).toBe(200);
    const card = twice.body.documents.find((d) => d.kind === 'battle_card');
    expect(card).toMatchObject({ competitor: 'Chorus', created: true, title: 'Battle card: Chorus' });

    const doc = await team.viewer.client.get<Doc>(`${base}/documents/${card!.id}`);
    expect(doc.status, doc.text).toBe(200);
    expect(doc.body.sources.map((s) => s.sourceRef).sort()).toEqual([first, second].sort());
    expect(doc.body.sources.map((s) => s.label).sort()).toEqual([
      'Discovery with Priya',
      'Renewal chat with Alex',
    ]);
    expect(doc.body.markdown).toContain('We are evaluating Chorus at the moment');
    expect(doc.body.markdown).toContain('We looked at Chorus last month');
    expect(doc.body.sections.every((s) => s.provider === 'local')).toBe(true);
    // Our answers are cited to the rep who gave them, not to the prospect.
    const answers = doc.body.sections.find((s) => s.key === 'responses')!;
    expect(answers.heading).toBe('How we answered');
    expect(answers.markdown).toContain('— Dana, Discovery with Priya');
    expect(answers.markdown).toContain('— Sam, Renewal chat with Alex');

    const found = await team.viewer.client.get<Hits>(`${base}/documents?q=chorus`);
    expect(found.status, found.text).toBe(200);
    expect(found.body.items[0]).toMatchObject({ id: card!.id, kind: 'battle_card' });
    expect(found.body.items[0]!.snippet.some((run) => run.hit && /chorus/i.test(run.text))).toBe(true);
    const filtered = await team.viewer.client.get<Hits>(`${base}/documents?q=chorus&kind=faq`);
    expect(filtered.body.items.every((item) => item.kind === 'faq')).toBe(true);
    const byCompetitor = await team.viewer.client.get<Hits>(`${base}/documents?competitor=chorus`);
    expect(byCompetitor.body.items.map((i) => i.id)).toEqual([card!.id]);
  });

  it('puts the objection with the answer that worked in the handler, the recurring question in the FAQ, talk tracks in the playbook', async () => {
    const team = await proTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const knex = server.db.knex;
    const ids = [
      await insertCall(knex, team.workspaceId, 'Call one', callOne),
      await insertCall(knex, team.workspaceId, 'Call two', callTwo),
    ];
    const generated = await team.member.client.post<Generated>(`${base}/generate`, { callIds: ids });
    expect(generated.status, generated.text).toBe(200);
    const byKind = new Map(generated.body.documents.map((d) => [d.kind, d]));

    const handler = await team.member.client.get<Doc>(
      `${base}/documents/${byKind.get('objection_handler')!.id}`,
    );
    const price = handler.body.sections.find((s) => s.key === 'objection:price')!;
    expect(price.markdown).toContain('the price is a concern');
    expect(price.markdown).toContain('**Answer that worked:** We can start with a pilot for one team');

    const faq = await team.member.client.get<Doc>(`${base}/documents/${byKind.get('faq')!.id}`);
    // Asked in both calls in other words: one entry, first in the FAQ.
    expect(faq.body.sections[0]!.quotes).toBe(2);
    expect(faq.body.sections[0]!.heading).toMatch(/onboarding/i);
    expect(faq.body.sections[0]!.markdown).toContain('Asked 2 times in 2 sources');

    const playbook = await team.member.client.get<Doc>(`${base}/documents/${byKind.get('playbook')!.id}`);
    expect(playbook.body.sections.map((s) => s.key)).toEqual(
      expect.arrayContaining(['talk:opener', 'talk:value']),
    );
    expect(playbook.body.markdown).toContain('most customers see payback within two months');

    // Generating again from the same calls adds nothing: no new version.
    const again = await team.member.client.post<Generated>(`${base}/generate`, { callIds: ids });
    expect(again.body.documents.flatMap((d) => d.updatedSections)).toEqual([]);
    const history = await team.member.client.get<{ items: unknown[] }>(
      `${base}/documents/${byKind.get('faq')!.id}/history`,
    );
    expect(history.body.items).toHaveLength(1);
  });

  it('keeps a human-edited section through regeneration and still adds the new quotes to it', async () => {
    const team = await proTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const made = await team.member.client.post<Generated>(`${base}/generate`, {
      texts: [{ title: 'Pasted call', text: callOne.map(([s, t]) => `${s}: ${t}`).join('\n') }],
    });
    const handlerId = made.body.documents.find((d) => d.kind === 'objection_handler')!.id;
    const edited = await team.member.client.patch<Doc>(`${base}/documents/${handlerId}`, {
      version: 1,
      sections: [{ key: 'objection:price', body: 'Lead with the pilot. Never discount in the first call.' }],
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body.version).toBe(2);
    expect(edited.body.sections.find((s) => s.key === 'objection:price')).toMatchObject({
      humanEdited: true,
      provider: 'human',
    });
    // An edit made on an old version is refused, not lost.
    const stale = await team.admin.client.patch(`${base}/documents/${handlerId}`, {
      version: 1,
      title: 'Other',
    });
    expect(stale.status).toBe(409);

    const regenerated = await team.member.client.post<Generated>(`${base}/generate`, {
      texts: [
        {
          title: 'Second call',
          text: 'Rep: Hello Jo, thanks for the time today, shall we start?\nJo: It is too expensive for us, the cost is hard to justify.\nRep: Most teams pay it back in a quarter.\nJo: Makes sense.',
        },
      ],
    });
    const doc = regenerated.body.documents.find((d) => d.id === handlerId)!;
    expect(doc.keptHumanSections).toEqual(['objection:price']);
    const after = await team.member.client.get<Doc>(`${base}/documents/${handlerId}`);
    const section = after.body.sections.find((s) => s.key === 'objection:price')!;
    expect(section.markdown).toBe('Lead with the pilot. Never discount in the first call.');
    expect(section.quotes).toBe(2);
    expect(after.body.version).toBe(3);
    expect(after.body.sources.map((s) => s.label).sort()).toEqual(['Pasted call', 'Second call']);

    const history = await team.member.client.get<{
      items: Array<{ version: number; change: string; humanSections: string[] }>;
    }>(`${base}/documents/${handlerId}/history`);
    expect(history.body.items.map((v) => [v.version, v.change])).toEqual([
      [3, 'generated'],
      [2, 'edited'],
      [1, 'generated'],
    ]);
    expect(history.body.items[0]!.humanSections).toEqual(['objection:price']);

    // Handed back, the section is written from its quotes again.
    const released = await team.member.client.patch<Doc>(`${base}/documents/${handlerId}`, {
      sections: [{ key: 'objection:price', release: true }],
    });
    const back = released.body.sections.find((s) => s.key === 'objection:price')!;
    expect(back).toMatchObject({ humanEdited: false, provider: 'local' });
    expect(back.markdown).toContain('It is too expensive for us');
  });

  it('makes a card for a listed competitor at its first mention, and reads email replies', async () => {
    const team = await proTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    expect((await team.member.client.put(`${base}/settings`, { competitors: ['Gong'] })).status).toBe(403);
    const saved = await team.admin.client.put<{ competitors: string[] }>(`${base}/settings`, {
      competitors: ['Gong', 'gong', 'Outreach'],
    });
    expect(saved.body.competitors).toEqual(['gong', 'Outreach']);
    const lead = await team.member.client.post<{ lead: { id: string } }>(
      `/api/v1/workspaces/${team.workspaceId}/outbound/leads`,
      {
        email: 'kim@prospect.example',
        firstName: 'Kim',
      },
    );
    expect(lead.status, lead.text).toBe(201);
    const replyId = uuidv7();
    await server.db.knex('outbound_events').insert({
      id: replyId,
      workspace_id: team.workspaceId,
      lead_id: lead.body.lead.id,
      kind: 'replied',
      dedup_key: `reply:${replyId}`,
      data: JSON.stringify({
        subject: 'Re: follow-up',
        text: 'Thanks. We already pay for outreach and it works fine for sequences.\n> old quoted text',
      }),
    });
    const generated = await team.member.client.post<Generated>(`${base}/generate`, { emailIds: [replyId] });
    expect(generated.status, generated.text).toBe(200);
    const card = generated.body.documents.find((d) => d.kind === 'battle_card');
    expect(card).toMatchObject({ competitor: 'Outreach' });
    const doc = await team.member.client.get<Doc>(`${base}/documents/${card!.id}`);
    expect(doc.body.sources).toEqual([
      expect.objectContaining({ sourceType: 'email', sourceRef: replyId, label: 'Email: Re: follow-up' }),
    ]);
    expect(doc.body.markdown).not.toContain('old quoted text');
  });
});

describe('documents, views and the plan', () => {
  it('counts views per document and person', async () => {
    const team = await proTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const created = await team.member.client.post<Doc>(`${base}/documents`, {
      kind: 'playbook',
      title: 'Renewal playbook',
      tags: ['renewals'],
      sections: [{ heading: 'Opening', body: 'Ask about **usage** first.' }],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.html).toContain('<strong>usage</strong>');
    expect(created.body.sections[0]).toMatchObject({ humanEdited: true, provider: 'human' });
    const path = `${base}/documents/${created.body.id}/views`;
    await team.viewer.client.post(path, {});
    await team.viewer.client.post(path, {});
    const counted = await team.member.client.post<{ total: number; viewers: number; mine: number }>(path, {});
    expect(counted.body).toEqual({ total: 3, viewers: 2, mine: 1 });
    const viewers = await team.member.client.get<{ items: Array<{ email: string; count: number }> }>(path);
    expect(viewers.body.items.map((v) => [v.email, v.count]).sort()).toEqual(
      [
        [team.member.account.email, 1],
        [team.viewer.account.email, 2],
      ].sort(),
    );
    const tagged = await team.viewer.client.get<Hits>(`${base}/documents?tag=renewals`);
    expect(tagged.body.items.map((i) => i.id)).toEqual([created.body.id]);
    expect((await team.member.client.delete(`${base}/documents/${created.body.id}`)).status).toBe(403);
    expect((await team.admin.client.delete(`${base}/documents/${created.body.id}`)).status).toBe(204);
    expect((await team.admin.client.get(`${base}/documents/${created.body.id}`)).status).toBe(404);
  });

  it('is a Professional feature: a Starter workspace gets 402 naming the plan, and the status says so', async () => {
    const team = await createTeam(server);
    await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'starter' });
    const base = `/api/v1/workspaces/${team.workspaceId}/knowledge`;
    const status = await team.viewer.client.get<{ enabled: boolean; requiredPlan: string }>(`${base}/status`);
    expect(status.body).toEqual({ enabled: false, requiredPlan: 'professional' });
    const refused = await team.member.client.post<{ type: string; requiredPlan?: string }>(
      `${base}/generate`,
      {
        texts: [{ title: 't', text: 'Rep: hi' }],
      },
    );
    expect(refused.status).toBe(402);
    expect(refused.text).toContain('knowledge_fusion');
    expect((await team.member.client.get(`${base}/documents`)).status).toBe(402);
  });

  it('refuses a generation without sources, naming the field', async () => {
    const team = await proTeam();
    const response = await team.member.client.post(
      `/api/v1/workspaces/${team.workspaceId}/knowledge/generate`,
      {},
    );
    expect(response.status).toBe(400);
    expect(invalidFields(response.body)).toEqual(['callIds']);
  });
});
