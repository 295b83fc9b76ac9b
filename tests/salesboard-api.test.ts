import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBoard } from '../api/salesboard/board.js';
import type { AiService } from '../nodes/ai/service.js';
import { seedGrowth, type SeedResult } from '../bench/seed-growth.js';
import { createTeam, startApi, type ApiClient, type Team, type TestApi } from './helpers/api.js';

interface Metrics {
  calls: number;
  emailsSent: number;
  replies: number;
  meetings: number;
  contacted: number;
  repliedLeads: number;
  meetingLeads: number;
  wonDeals: number;
  pipelineCents: number;
  wonCents: number;
  replyRate: number;
  meetingRate: number;
  medianResponseHours: number | null;
  touchesPerLead: number;
}
interface BoardBody {
  period: { from: string; to: string; days: number };
  team: { metrics: Metrics; funnel: Array<{ stage: string; count: number; percent: number }>; insights: Array<{ text: string }> };
  reps: Array<{ userId: string; name: string; score: number; metrics: Metrics; insights: Array<{ rule: string; text: string }> }>;
  coaching: unknown;
  computedAt: string;
  cachedUntil: string;
  cached: boolean;
}

/** The week the seed writes ends on Monday 30 March 2026, 00:00 UTC. */
const END = new Date('2026-03-30T00:00:00Z');
const BOARD = `salesboard?days=7&to=${encodeURIComponent(END.toISOString())}`;

describe('AI Salesboard API', () => {
  let server: TestApi;
  let team: Team;
  let seed: SeedResult;
  let owner: ApiClient;
  const path = (workspaceId: string, query = BOARD) => `/api/v1/workspaces/${workspaceId}/${query}`;

  beforeAll(async () => {
    server = await startApi({ engine: true });
    team = await createTeam(server);
    // The seeded week goes into a workspace of its own: its owner and the three seeded reps.
    owner = server.client();
    const account = await owner.signup();
    seed = await seedGrowth(server.db.knex, { end: END, workspaceId: account.workspaceId, ownerId: account.userId });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('shows per rep and team the numbers worked out by hand from the seeded week', async () => {
    const response = await owner.get<BoardBody>(path(seed.workspaceId));
    expect(response.status).toBe(200);
    const board = response.body;
    const rep = (id: string) => board.reps.find((entry) => entry.userId === id)!;
    // Ana: 28 leads (4 a day), 7 follow-ups, 2 calls a day, 7 replies, 3 meetings ($5,000 deals), 1 won.
    expect(rep(seed.reps.ana).metrics).toMatchObject({
      calls: 14,
      emailsSent: 35,
      replies: 7,
      meetings: 3,
      contacted: 28,
      repliedLeads: 7,
      wonDeals: 1,
      pipelineCents: 1_500_000,
      wonCents: 500_000,
      replyRate: 25,
      meetingRate: 10.7,
      medianResponseHours: 0.5,
      touchesPerLead: 1.8,
    });
    // Ben: 21 leads, 3 emails to lead 0 each day + 5 follow-ups two days later (46 h).
    expect(rep(seed.reps.ben).metrics).toMatchObject({
      emailsSent: 40,
      contacted: 21,
      replies: 7,
      replyRate: 33.3,
      meetings: 0,
      medianResponseHours: 46,
      touchesPerLead: 1.9,
    });
    expect(rep(seed.reps.cy).metrics).toMatchObject({ emailsSent: 15, contacted: 15, replies: 0, replyRate: 0 });
    expect(board.team.metrics).toMatchObject({
      calls: 14,
      emailsSent: 90,
      replies: 14,
      meetings: 3,
      contacted: 64,
      replyRate: 21.9,
      meetingRate: 4.7,
      wonCents: 500_000,
      pipelineCents: 1_500_000,
      // 12 responses pooled: seven of 0.5 h, five of 46 h.
      medianResponseHours: 0.5,
    });
    expect(board.team.funnel).toEqual([
      { stage: 'contacted', count: 64, percent: 100 },
      { stage: 'replied', count: 14, percent: 21.9 },
      { stage: 'meeting', count: 3, percent: 4.7 },
      { stage: 'won', count: 1, percent: 1.6 },
    ]);
    // Scores (README formula; a rep at the team mean scores 50 per part):
    // Ana 17.5 + 11.4 + 20 + 30 + 5 = 83.9; Ben 13.1 + 15.2 + 0 + 0 + 0.1 = 28.4; Cy 9.4 + 5; the owner 5.
    expect(board.reps.map((entry) => [entry.userId, entry.score])).toEqual([
      [seed.reps.ana, 84],
      [seed.reps.ben, 28],
      [seed.reps.cy, 14],
      [seed.ownerId, 5],
    ]);
  });

  it('counts the funnel over the leads contacted in the period: a reply to last week\'s email is a reply, not a replied lead', async () => {
    const client = server.client();
    const account = await client.signup();
    const knex = server.db.knex;
    const rep = account.userId;
    const at = (day: number, hour: number) => new Date(END.getTime() - (7 - day) * 86_400_000 + hour * 3_600_000);
    const rows: Array<[string, Date, Record<string, unknown>]> = [
      // The week before: lead "old" emailed. This week: it replies, and books a meeting.
      ['outbound.email_sent', at(-3, 9), { userId: rep, leadId: 'old' }],
      ['outbound.replied', at(1, 9), { userId: rep, leadId: 'old' }],
      ['outbound.meeting_booked', at(2, 9), { userId: rep, leadId: 'old' }],
      // This week: "a" emailed twice, replies, answered 3 h later; "b" emailed, a call, no reply.
      ['outbound.email_sent', at(1, 9), { userId: rep, leadId: 'a' }],
      ['outbound.email_sent', at(2, 9), { userId: rep, leadId: 'a' }],
      ['outbound.replied', at(2, 12), { userId: rep, leadId: 'a' }],
      ['outbound.email_sent', at(2, 15), { userId: rep, leadId: 'a' }],
      ['outbound.email_sent', at(3, 9), { userId: rep, leadId: 'b' }],
      ['voice.call_completed', at(3, 10), { userId: rep, leadId: 'b' }],
      // A deal won for "a", $1,200.50, and a Stripe payment of 9,900 cents for someone never contacted.
      ['deal.won', at(4, 9), { userId: rep, leadId: 'a', amount: 1200.5 }],
      ['stripe.invoice.paid', at(4, 10), { metadata: { userId: rep }, amount_paid: 9900, email: 'NEW@x.io' }],
    ];
    await knex('events').insert(
      rows.map(([name, occurred, data], index) => ({
        workspace_id: account.workspaceId,
        event_id: `funnel-${index}`,
        name,
        data: JSON.stringify(data),
        occurred_at: occurred,
      })),
    );
    const board = await buildBoard(knex, account.workspaceId, { to: END, days: 7 });
    const me = board.reps.find((entry) => entry.userId === rep)!;
    // By hand: contacted {a, b} = 2; replies 2 (old, a) but replied leads {a} = 1 → 50%;
    // the meeting is "old"'s, not a contacted lead: 1 meeting, 0 meeting leads; won {a} and the
    // Stripe payment: 2 deals, $1,200.50 + $99.00 = 129,950 cents, 1 won lead of the contacted.
    // Touches 5 (4 emails, 1 call) / 2 leads = 2.5; response: a's reply 12:00 → email 15:00 = 3 h.
    expect(me.metrics).toMatchObject({
      emailsSent: 4,
      calls: 1,
      replies: 2,
      meetings: 1,
      contacted: 2,
      repliedLeads: 1,
      meetingLeads: 0,
      wonDeals: 2,
      wonLeads: 1,
      wonCents: 129_950,
      replyRate: 50,
      meetingRate: 0,
      touchesPerLead: 2.5,
      medianResponseHours: 3,
    });
    expect(me.funnel.map((stage) => [stage.stage, stage.count, stage.percent])).toEqual([
      ['contacted', 2, 100],
      ['replied', 1, 50],
      ['meeting', 0, 0],
      ['won', 1, 50],
    ]);
  });

  it('writes insights as sentences with their numbers', async () => {
    const board = (await owner.get<BoardBody>(path(seed.workspaceId))).body;
    const texts = (id: string) => board.reps.find((entry) => entry.userId === id)!.insights.map((insight) => insight.text);
    expect(texts(seed.reps.cy)).toEqual([
      'Reply rate fell 100% (20.0% → 0.0%) compared with the previous 7 days.',
      "50% of the team's replies come after the 3rd touch: you stop at 1.0 touches per lead on average.",
    ]);
    expect(texts(seed.reps.ben)).toEqual([
      "50% of the team's replies come after the 3rd touch: you stop at 1.9 touches per lead on average.",
      'You answer replies in 46.0 h (median); the team in 0.5 h.',
    ]);
    expect(board.team.insights.map((insight) => insight.text)).toEqual([
      "Ana Rep books meetings with 10.7% of contacted leads, 2.3× the team's 4.7%.",
    ]);
    expect(board.coaching).toBeNull();
  });

  it('caches the board 5 minutes and computes it again on refresh', async () => {
    const first = (await team.owner.client.get<BoardBody>(path(team.workspaceId, 'salesboard?days=3'))).body;
    const second = (await team.owner.client.get<BoardBody>(path(team.workspaceId, 'salesboard?days=3'))).body;
    expect(second.cached).toBe(true);
    expect(second.computedAt).toBe(first.computedAt);
    expect(new Date(second.cachedUntil).getTime() - new Date(second.computedAt).getTime()).toBe(300_000);
    const fresh = (await team.owner.client.get<BoardBody>(path(team.workspaceId, 'salesboard?days=3&refresh=true'))).body;
    expect(fresh.cached).toBe(false);
    expect(new Date(fresh.computedAt).getTime()).toBeGreaterThanOrEqual(new Date(first.computedAt).getTime());
  });

  it('lets members in, keeps viewers and other workspaces out', async () => {
    expect((await team.viewer.client.get(path(team.workspaceId))).status).toBe(403);
    expect((await team.member.client.get(path(team.workspaceId))).status).toBe(200);
    expect((await team.admin.client.get(path(team.workspaceId))).status).toBe(200);
    // Another workspace's board, with its id: a 404 that shows nothing of it.
    const outsider = await team.outsider.client.get(path(seed.workspaceId));
    expect(outsider.status).toBe(404);
    expect(outsider.text).not.toContain('Ana Rep');
    const key = await team.owner.client.get(path(seed.workspaceId));
    expect(key.status).toBe(404);
  });

  it('is gated: Starter and Free get a 402 naming the plan that has it', async () => {
    const client: ApiClient = server.client();
    const account = await client.signup();
    // The trial (Professional) has it; a paid Starter plan does not.
    expect((await client.get(path(account.workspaceId))).status).toBe(200);
    await server.db.knex('billing_accounts').where({ workspace_id: account.workspaceId }).update({ plan_id: 'starter', status: 'active' });
    const gated = await client.get(path(account.workspaceId));
    expect(gated.status).toBe(402);
    expect(gated.body.detail).toContain('upgrade to Professional');
    expect(gated.body).toMatchObject({ plan: 'starter', requiredPlan: 'professional' });
    await server.db.knex('billing_accounts').where({ workspace_id: account.workspaceId }).update({ plan_id: 'free', status: 'free' });
    expect((await client.get(path(account.workspaceId))).status).toBe(402);
  });

  it('answers bad periods with a 400 naming the field', async () => {
    for (const [query, field] of [
      ['salesboard?days=0', 'query.days'],
      ['salesboard?days=91', 'query.days'],
      ['salesboard?to=yesterday', 'query.to'],
      ['salesboard?refresh=maybe', 'query.refresh'],
    ] as const) {
      const response = await team.owner.client.get(path(team.workspaceId, query));
      expect(response.status, query).toBe(400);
      expect(response.body.invalidParams?.map((param) => param.name)).toContain(field);
    }
  });

  it('puts a model’s coaching summary on top when a model is configured, marked with who wrote it', async () => {
    const prompts: string[] = [];
    const ai = {
      generate: async (_workspaceId: string, request: { prompt: string }) => {
        prompts.push(request.prompt);
        return {
          text: 'Ben: answer replies the same day.',
          provider: 'openai-compatible' as const,
          model: 'test-model',
          usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
          latencyMs: 1,
        };
      },
    } as unknown as AiService;
    const board = await buildBoard(server.db.knex, seed.workspaceId, { to: END, days: 7 }, { ai });
    expect(board.coaching).toEqual({ text: 'Ben: answer replies the same day.', provider: 'openai-compatible', model: 'test-model' });
    // The model sees the rule insights and their numbers, nothing else.
    expect(prompts[0]).toContain('You answer replies in 46.0 h (median); the team in 0.5 h.');
  });
});
