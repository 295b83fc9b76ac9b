/**
 * `npm run seed:demo`: a week of simulated usage for the Analytics and AI Salesboard pages
 * (README "Analytics"). It writes what the product would have written — memberships,
 * invitations, metered emails and leads, audit-log activity, billing history, and the
 * outbound / voice / deal events reps produce — then runs the activity detector once, which
 * emits the activation milestones, `session.active_day`, daily usage and churn risk.
 *
 *   npm run seed:demo                      # into the database `npm start` uses
 *   npm run seed:demo -- --end 2026-03-30  # the week before that day (UTC)
 *
 * The figures are deterministic; tests/analytics-canvas.test.ts and
 * tests/salesboard-api.test.ts check the pages against numbers worked out by hand from them.
 */
import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { ActivityDetector } from '../api/analytics/detector.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SeedOptions {
  /** The week seeded is the 7 days before `end` (default: the current hour, UTC). */
  end?: Date;
  /** Seed into this workspace and owner (a person who signed up); default: new ones. */
  workspaceId?: string;
  ownerId?: string;
  /** Password hash for a new owner (the CLI sets a known demo password). */
  ownerPasswordHash?: string;
}

export interface SeedResult {
  workspaceId: string;
  ownerId: string;
  reps: { ana: string; ben: string; cy: string };
  northwindId: string;
  end: Date;
}

async function user(knex: Knex, email: string, name: string, createdAt: Date, hash?: string): Promise<string> {
  const [row] = await knex('users')
    .insert({
      email,
      name,
      // Seeded reps cannot log in: nobody knows a password for this.
      password_hash: hash ?? `seed-disabled:${randomBytes(16).toString('hex')}`,
      created_at: createdAt,
      updated_at: createdAt,
    })
    .returning<Array<{ id: string }>>('id');
  return row!.id;
}

async function billingState(
  knex: Knex,
  workspaceId: string,
  history: Array<{ at: Date; plan: string; status: string; seats: number }>,
): Promise<void> {
  const last = history.at(-1)!;
  const first = history[0]!;
  await knex('billing_accounts')
    .insert({
      workspace_id: workspaceId,
      plan_id: last.plan,
      status: last.status,
      seats: last.seats,
      current_period_start: first.at,
      current_period_end: new Date(first.at.getTime() + 30 * DAY),
      created_at: first.at,
    })
    .onConflict('workspace_id')
    .merge(['plan_id', 'status', 'seats', 'trial_ends_at', 'created_at']);
  await knex('billing_accounts').where({ workspace_id: workspaceId }).update({ trial_ends_at: null });
  // The history as it happened (the trigger recorded "now" for the rows written above).
  await knex('analytics_plan_history').where({ workspace_id: workspaceId }).delete();
  await knex('analytics_plan_history').insert(
    history.map((state) => ({
      workspace_id: workspaceId,
      at: state.at,
      plan_id: state.plan,
      status: state.status,
      seats: state.seats,
    })),
  );
}

export async function seedGrowth(knex: Knex, options: SeedOptions = {}): Promise<SeedResult> {
  const end = options.end ?? new Date(Math.floor(Date.now() / HOUR) * HOUR);
  const day = (d: number, hours = 0): Date => new Date(end.getTime() - (7 - d) * DAY + hours * HOUR);
  const tag = randomBytes(3).toString('hex');

  // Demo Co: a new workspace this week (day 0, 08:00), its owner and three reps.
  let ownerId = options.ownerId;
  let workspaceId = options.workspaceId;
  if (!ownerId || !workspaceId) {
    ownerId = await user(knex, `olivia-${tag}@demo.revflow.example`, 'Olivia Owner', day(0, 8), options.ownerPasswordHash);
    const [ws] = await knex('workspaces')
      .insert({ name: 'Demo Co', slug: `demo-co-${tag}`, plan: 'free', created_at: day(0, 8) })
      .returning<Array<{ id: string }>>('id');
    workspaceId = ws!.id;
    await knex('memberships').insert({ workspace_id: workspaceId, user_id: ownerId, role: 'owner' });
  }
  await knex('workspaces').where({ id: workspaceId }).update({ created_at: day(0, 8) });
  await knex('memberships').where({ workspace_id: workspaceId, user_id: ownerId }).update({ created_at: day(0, 8) });
  await knex('users').where({ id: ownerId }).update({ created_at: day(0, 8), updated_at: day(0, 8) });
  await billingState(knex, workspaceId, [{ at: day(0, 8), plan: 'professional', status: 'active', seats: 20 }]);

  const ana = await user(knex, `ana-${tag}@demo.revflow.example`, 'Ana Rep', day(0, 9));
  const ben = await user(knex, `ben-${tag}@demo.revflow.example`, 'Ben Rep', day(0, 10));
  const cy = await user(knex, `cy-${tag}@demo.revflow.example`, 'Cy Rep', day(1, 9));
  await knex('invitations').insert(
    [
      ['ana', 8],
      ['ben', 8.5],
    ].map(([name, hours]) => ({
      workspace_id: workspaceId,
      email: `${name}-${tag}@demo.revflow.example`,
      role: 'member',
      token_hash: randomBytes(32).toString('hex'),
      invited_by_user_id: ownerId,
      created_at: day(0, Number(hours)),
      expires_at: day(7, 0),
      accepted_at: day(0, Number(hours) + 1),
    })),
  );
  await knex('memberships').insert([
    { workspace_id: workspaceId, user_id: ana, role: 'member', created_at: day(0, 9) },
    { workspace_id: workspaceId, user_id: ben, role: 'member', created_at: day(0, 10) },
    { workspace_id: workspaceId, user_id: cy, role: 'member', created_at: day(1, 9) },
  ]);

  // Activity (the audit log): Olivia and Ana every day, Ben days 0–4, Cy days 1–2.
  const active: Array<[string, number[]]> = [
    [ownerId, [0, 1, 2, 3, 4, 5, 6]],
    [ana, [0, 1, 2, 3, 4, 5, 6]],
    [ben, [0, 1, 2, 3, 4]],
    [cy, [1, 2]],
  ];
  await knex('audit_log').insert(
    active.flatMap(([userId, days]) =>
      days.map((d) => ({
        workspace_id: workspaceId,
        actor_user_id: userId,
        action: 'demo.activity',
        metadata: JSON.stringify({ seeded: true }),
        created_at: day(d, 11),
      })),
    ),
  );

  // Milestones from metered usage: first email 09:00, first lead 09:30, a campaign live at 12:00.
  const usage: Array<{ meter: string; at: Date; key: string; subject?: string }> = [];
  const events: Array<{ name: string; at: Date; data: Record<string, unknown> }> = [];
  const email = (rep: string, lead: string, at: Date): void => {
    events.push({ name: 'outbound.email_sent', at, data: { userId: rep, leadId: lead } });
    usage.push({ meter: 'emails', at, key: `email:${rep}:${lead}:${at.toISOString()}` });
  };
  const lead = (id: string, at: Date): void => {
    usage.push({ meter: 'leads', at, key: `lead:${id}`, subject: `${id}@leads.example` });
  };
  usage.push({ meter: 'campaigns', at: day(0, 12), key: 'campaign:launch' });

  for (let d = 0; d < 7; d += 1) {
    // Ana: 4 new leads a day; lead 0 replies at 13:00, answered at 13:30; 2 calls to lead 1.
    for (let i = 0; i < 4; i += 1) {
      lead(`ana-${d}-${i}`, day(d, 9.5));
      email(ana, `ana-${d}-${i}`, day(d, 9.5 + i / 60));
    }
    events.push({ name: 'voice.call_completed', at: day(d, 11), data: { userId: ana, leadId: `ana-${d}-1` } });
    events.push({ name: 'voice.call_completed', at: day(d, 15), data: { userId: ana, leadId: `ana-${d}-1` } });
    events.push({ name: 'outbound.replied', at: day(d, 13), data: { userId: ana, leadId: `ana-${d}-0` } });
    email(ana, `ana-${d}-0`, day(d, 13.5));
    if (d === 1 || d === 3 || d === 5) {
      events.push({ name: 'outbound.meeting_booked', at: day(d, 16), data: { userId: ana, leadId: `ana-${d}-0` } });
      events.push({ name: 'deal.created', at: day(d, 16), data: { userId: ana, leadId: `ana-${d}-0`, amount: 5000 } });
    }
    // Ben: 3 new leads a day; lead 0 gets 3 emails and replies at 15:00, answered 2 days later.
    for (let i = 0; i < 3; i += 1) lead(`ben-${d}-${i}`, day(d, 10));
    for (const hours of [10, 11, 12]) email(ben, `ben-${d}-0`, day(d, hours));
    email(ben, `ben-${d}-1`, day(d, 10.5));
    email(ben, `ben-${d}-2`, day(d, 10.75));
    events.push({ name: 'outbound.replied', at: day(d, 15), data: { userId: ben, leadId: `ben-${d}-0` } });
    if (d <= 4) email(ben, `ben-${d}-0`, day(d + 2, 13));
    // Cy: 5 leads a day on days 0–2, no reply; the week before, 5 a day and one reply a day.
    if (d <= 2)
      for (let i = 0; i < 5; i += 1) {
        lead(`cy-${d}-${i}`, day(d, 9));
        email(cy, `cy-${d}-${i}`, day(d, 9 + i / 60));
      }
    for (let i = 0; i < 5; i += 1) email(cy, `cy-p${d}-${i}`, day(d - 7, 9 + i / 60));
    events.push({ name: 'outbound.replied', at: day(d - 7, 12), data: { userId: cy, leadId: `cy-p${d}-0` } });
  }
  events.push({ name: 'deal.won', at: day(5, 17), data: { userId: ana, leadId: 'ana-5-0', amount: 5000 } });
  // The week before this one is before the workspace existed: not metered (only the events).
  const metered = usage.filter((row) => row.at >= day(0, 0));
  for (let index = 0; index < metered.length; index += 500) {
    await knex('usage_events').insert(
      metered.slice(index, index + 500).map((row) => ({
        workspace_id: workspaceId,
        meter: row.meter,
        quantity: 1,
        idempotency_key: `seed:${row.key}`,
        subject: row.subject ?? null,
        source: 'seed',
        occurred_at: row.at,
      })),
    );
  }
  for (let index = 0; index < events.length; index += 500) {
    await knex('events').insert(
      events.slice(index, index + 500).map((event, offset) => ({
        workspace_id: workspaceId,
        event_id: `seed:${tag}:${index + offset}`,
        name: event.name,
        data: JSON.stringify(event.data),
        occurred_at: event.at,
        runs: JSON.stringify([]),
      })),
    );
  }

  // Northwind: an old customer (90 days) that upgraded this week, then its payment failed.
  const nora = await user(knex, `nora-${tag}@northwind.example`, 'Nora Northwind', day(-83, 9));
  const [northwind] = await knex('workspaces')
    .insert({ name: 'Northwind', slug: `northwind-${tag}`, plan: 'free', created_at: day(-83, 9) })
    .returning<Array<{ id: string }>>('id');
  const northwindId = northwind!.id;
  await knex('memberships').insert({ workspace_id: northwindId, user_id: nora, role: 'owner', created_at: day(-83, 9) });
  await billingState(knex, northwindId, [
    { at: day(-83, 9), plan: 'starter', status: 'active', seats: 5 },
    { at: day(2, 10), plan: 'professional', status: 'active', seats: 20 },
    { at: day(5, 10), plan: 'professional', status: 'past_due', seats: 20 },
  ]);
  await knex('audit_log').insert(
    [-23, -22, -13, -3].map((d) => ({
      workspace_id: northwindId,
      actor_user_id: nora,
      action: 'demo.activity',
      metadata: JSON.stringify({ seeded: true }),
      created_at: day(d, 11),
    })),
  );
  await knex('billing_expansions')
    .insert({
      id: `upgrade_tier:${northwindId}:emails:seed`,
      workspace_id: northwindId,
      kind: 'upgrade_tier',
      reason: 'Emails at 92% of the Professional quota',
      current_plan: 'professional',
      suggested_plan: 'enterprise',
      current_value_cents: 29_900,
      potential_value_cents: 99_900,
      created_at: day(6, 9),
    })
    .onConflict('id')
    .ignore();

  // The detector as the API runs it, on the seeded week's clock: it reads the seeded past
  // again from the start (its events have stable ids, so nothing is emitted twice).
  await knex('analytics_detector_state').whereIn('key', ['active_days', 'usage_days']).delete();
  await new ActivityDetector(knex, { now: () => end }).run();
  return { workspaceId, ownerId, reps: { ana, ben, cy }, northwindId, end };
}

/** The CLI: seed into the database `npm start` uses, with a demo owner who can log in. */
async function main(): Promise<void> {
  const [{ loadConfig }, { openDatabase }, { hashPassword }, { pino }] = await Promise.all([
    import('../api/config.js'),
    import('../api/db/database.js'),
    import('../api/auth/passwords.js'),
    import('pino'),
  ]);
  const config = loadConfig();
  const logger = pino({ level: 'warn' });
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.REVFLOW_DATA_DIR, logger });
  try {
    const at = process.argv.indexOf('--end');
    const end = at > 0 && process.argv[at + 1] ? new Date(`${process.argv[at + 1]}T00:00:00Z`) : undefined;
    if (end && Number.isNaN(end.getTime())) throw new Error('--end takes a date: YYYY-MM-DD');
    const password = 'demo Password 2026';
    const result = await seedGrowth(db.knex, {
      ...(end ? { end } : {}),
      ownerPasswordHash: await hashPassword(password),
    });
    const owner = await db.knex('users').where({ id: result.ownerId }).first<{ email: string }>('email');
    console.log(
      `Seeded a week of usage (until ${result.end.toISOString()}).\n` +
        `Log in as ${owner.email} / ${password}, then open /w/${result.workspaceId}/analytics and /w/${result.workspaceId}/salesboard.`,
    );
  } finally {
    await db.stop();
  }
}

if (process.argv[1]?.endsWith('seed-growth.ts')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
