import { z } from 'zod';

/**
 * The plan catalogue, as data (issue 6). Validated with zod when this module loads, so a bad
 * edit fails at start, not when a customer hits a limit. Prices are USD cents per month.
 * The README's "Plans and billing" section documents these numbers; change both together.
 */

export const meterIds = ['emails', 'leads', 'campaigns', 'workflow_runs', 'ai_generations'] as const;
export type MeterId = (typeof meterIds)[number];
export const meterIdSchema = z.enum(meterIds);

export const featureIds = [
  'basic_ai',
  'multi_channel',
  'ai_salesboard',
  'knowledge_fusion',
  'workflows',
  'ai_safety',
  'voice_to_action',
  'custom_integrations',
] as const;
export type FeatureId = (typeof featureIds)[number];
export const featureIdSchema = z.enum(featureIds);

export const planIds = ['free', 'starter', 'professional', 'enterprise'] as const;
export type PlanId = (typeof planIds)[number];
export const planIdSchema = z.enum(planIds);

/**
 * How a meter turns usage events of a period into one number:
 * - `count`: how many events (quantity ignored) — one email sent is one event;
 * - `sum`: the sum of quantities;
 * - `max`: the highest quantity reported (a gauge: active campaigns);
 * - `unique`: how many distinct `subject`s (leads by email address).
 */
export const aggregations = ['count', 'sum', 'max', 'unique'] as const;
export type Aggregation = (typeof aggregations)[number];

const meterSchema = z.object({
  id: meterIdSchema,
  title: z.string().min(1),
  /** Plural noun for messages: "emails", "workflow runs". */
  unit: z.string().min(1),
  aggregation: z.enum(aggregations),
  /** `runs`: derived from the runs table (no row per run on the hot path); `events`: usage_events. */
  source: z.enum(['events', 'runs']),
});
export type Meter = z.infer<typeof meterSchema>;

const featureSchema = z.object({ id: featureIdSchema, title: z.string().min(1) });

const overageSchema = z.object({
  /** Over the quota: counted and billed (true) or refused (false). */
  allowed: z.boolean(),
  /** Price of overage per meter: `priceCents` per `per` units. */
  prices: z.partialRecord(
    meterIdSchema,
    z.object({ per: z.number().int().positive(), priceCents: z.number().int().min(0) }),
  ),
});

const planSchema = z.object({
  id: planIdSchema,
  title: z.string().min(1),
  priceMonthlyCents: z.number().int().min(0),
  /** Per month (billing period); null = unlimited. */
  quotas: z.record(meterIdSchema, z.number().int().min(0).nullable()),
  features: z.array(featureIdSchema),
  includedSeats: z.number().int().min(1),
  /** Null: the plan sells no extra seats (upgrade instead). */
  extraSeatPriceCents: z.number().int().min(0).nullable(),
  overage: overageSchema,
  stripe: z.object({ priceLookupKey: z.string().min(1), seatPriceLookupKey: z.string().min(1) }),
});
export type Plan = z.infer<typeof planSchema>;

const catalogueSchema = z
  .object({
    meters: z.array(meterSchema),
    features: z.array(featureSchema),
    plans: z.array(planSchema),
  })
  .superRefine((catalogue, ctx) => {
    const ids = catalogue.plans.map((plan) => plan.id);
    if (ids.join() !== planIds.join())
      ctx.addIssue({
        code: 'custom',
        path: ['plans'],
        message: `plans must be ${planIds.join(', ')} in order`,
      });
    if (catalogue.meters.map((meter) => meter.id).join() !== meterIds.join())
      ctx.addIssue({ code: 'custom', path: ['meters'], message: 'every meter once, in order' });
    catalogue.plans.forEach((plan, index) => {
      const previous = catalogue.plans[index - 1];
      if (previous && plan.priceMonthlyCents <= previous.priceMonthlyCents)
        ctx.addIssue({ code: 'custom', path: ['plans', index], message: 'plans are ordered by price' });
      if (previous && previous.features.some((feature) => !plan.features.includes(feature)))
        ctx.addIssue({
          code: 'custom',
          path: ['plans', index, 'features'],
          message: 'a tier keeps the features below it',
        });
    });
  });

const catalogue = catalogueSchema.parse({
  meters: [
    { id: 'emails', title: 'Emails', unit: 'emails', aggregation: 'count', source: 'events' },
    { id: 'leads', title: 'Leads', unit: 'leads', aggregation: 'unique', source: 'events' },
    { id: 'campaigns', title: 'Active campaigns', unit: 'campaigns', aggregation: 'max', source: 'events' },
    {
      id: 'workflow_runs',
      title: 'Workflow runs',
      unit: 'workflow runs',
      aggregation: 'count',
      source: 'runs',
    },
    {
      id: 'ai_generations',
      title: 'AI generations',
      unit: 'AI generations',
      aggregation: 'sum',
      source: 'events',
    },
  ],
  features: [
    { id: 'basic_ai', title: 'Basic AI' },
    { id: 'multi_channel', title: 'Multi-channel' },
    { id: 'ai_salesboard', title: 'AI Salesboard' },
    { id: 'knowledge_fusion', title: 'Knowledge Fusion' },
    { id: 'workflows', title: 'Workflows (waits and approvals)' },
    { id: 'ai_safety', title: 'AI Safety' },
    { id: 'voice_to_action', title: 'Voice-to-Action' },
    { id: 'custom_integrations', title: 'Custom integrations' },
  ],
  plans: [
    {
      id: 'free',
      title: 'Free',
      priceMonthlyCents: 0,
      quotas: { emails: 100, leads: 50, campaigns: 1, workflow_runs: 1_000, ai_generations: 50 },
      features: ['basic_ai'],
      includedSeats: 3,
      extraSeatPriceCents: null,
      overage: { allowed: false, prices: {} },
      stripe: { priceLookupKey: 'revflow_free_monthly', seatPriceLookupKey: 'revflow_free_seat' },
    },
    {
      id: 'starter',
      title: 'Starter',
      priceMonthlyCents: 4_900,
      quotas: { emails: 5_000, leads: 1_000, campaigns: 10, workflow_runs: 10_000, ai_generations: 500 },
      features: ['basic_ai', 'multi_channel'],
      includedSeats: 5,
      extraSeatPriceCents: 1_000,
      overage: { allowed: false, prices: {} },
      stripe: { priceLookupKey: 'revflow_starter_monthly', seatPriceLookupKey: 'revflow_starter_seat' },
    },
    {
      id: 'professional',
      title: 'Professional',
      priceMonthlyCents: 29_900,
      quotas: {
        emails: 50_000,
        leads: 10_000,
        campaigns: 100,
        workflow_runs: 100_000,
        ai_generations: 5_000,
      },
      features: ['basic_ai', 'multi_channel', 'ai_salesboard', 'knowledge_fusion', 'workflows'],
      includedSeats: 20,
      extraSeatPriceCents: 1_500,
      overage: {
        allowed: true,
        prices: {
          emails: { per: 1_000, priceCents: 100 },
          workflow_runs: { per: 1_000, priceCents: 50 },
          ai_generations: { per: 100, priceCents: 200 },
        },
      },
      stripe: {
        priceLookupKey: 'revflow_professional_monthly',
        seatPriceLookupKey: 'revflow_professional_seat',
      },
    },
    {
      id: 'enterprise',
      title: 'Enterprise',
      priceMonthlyCents: 99_900,
      quotas: {
        emails: 500_000,
        leads: 100_000,
        campaigns: null,
        workflow_runs: 1_000_000,
        ai_generations: 50_000,
      },
      features: [...featureIds],
      includedSeats: 100,
      extraSeatPriceCents: 2_000,
      overage: {
        allowed: true,
        prices: {
          emails: { per: 1_000, priceCents: 80 },
          workflow_runs: { per: 1_000, priceCents: 40 },
          ai_generations: { per: 100, priceCents: 150 },
        },
      },
      stripe: { priceLookupKey: 'revflow_enterprise_monthly', seatPriceLookupKey: 'revflow_enterprise_seat' },
    },
  ],
});

export const plans: readonly Plan[] = catalogue.plans;
export const meters: readonly Meter[] = catalogue.meters;
export const features: ReadonlyArray<{ id: FeatureId; title: string }> = catalogue.features;

export const DEFAULT_PLAN: PlanId = 'free';
/** The plan a trial unlocks. */
export const TRIAL_PLAN: PlanId = 'professional';

export function isPlanId(id: string): id is PlanId {
  return (planIds as readonly string[]).includes(id);
}

/** The plan, or an error for an unknown id. */
export function getPlan(id: string): Plan {
  const plan = plans.find((candidate) => candidate.id === id);
  if (!plan) throw new Error(`Unknown plan "${id}"; plans are ${planIds.join(', ')}`);
  return plan;
}

export function getMeter(id: MeterId): Meter {
  const meter = meters.find((candidate) => candidate.id === id);
  if (!meter) throw new Error(`Unknown meter "${id}"`);
  return meter;
}

export function featureTitle(id: FeatureId): string {
  return features.find((feature) => feature.id === id)?.title ?? id;
}

/** Position in the catalogue: higher is a bigger plan. */
export function planRank(id: PlanId): number {
  return planIds.indexOf(id);
}

/** The cheapest plan above `current` with more of `meter` (or unlimited), for upgrade messages. */
export function nextPlanFor(current: PlanId, meter: MeterId): Plan | undefined {
  const limit = getPlan(current).quotas[meter];
  return plans.find(
    (plan) =>
      planRank(plan.id) > planRank(current) &&
      (plan.quotas[meter] === null || (limit !== null && (plan.quotas[meter] ?? 0) > limit)),
  );
}

/** The cheapest plan that has a feature. */
export function cheapestPlanWith(feature: FeatureId): Plan | undefined {
  return plans.find((plan) => plan.features.includes(feature));
}

/** The seats a subscription on `plan` may hold: extra seats only where the plan sells them. */
export function seatLimitFor(planId: PlanId, purchasedSeats: number): number {
  const plan = getPlan(planId);
  return plan.extraSeatPriceCents === null
    ? plan.includedSeats
    : Math.max(plan.includedSeats, purchasedSeats);
}

/** "5,000", or "unlimited". */
export function formatQuantity(value: number | null): string {
  return value === null ? 'unlimited' : value.toLocaleString('en-US');
}

/** "Free plan allows 100 emails per month; upgrade to Starter for 5,000". */
export function quotaMessage(planId: PlanId, meter: MeterId, limit: number): string {
  const plan = getPlan(planId);
  const next = nextPlanFor(planId, meter);
  const unit = getMeter(meter).unit;
  const base = `${plan.title} plan allows ${formatQuantity(limit)} ${unit} per month`;
  return next ? `${base}; upgrade to ${next.title} for ${formatQuantity(next.quotas[meter] ?? null)}` : base;
}

/** Overage is billed per meter: only where the plan allows it and prices it. */
export function overageAllowed(plan: Plan, meter: MeterId): boolean {
  return plan.overage.allowed && plan.overage.prices[meter] !== undefined;
}
