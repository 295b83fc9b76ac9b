/**
 * The events the Salesboard reads (README "AI Salesboard"). Outbound and Voice emit the
 * platform names; deals arrive as events a workspace posts (`deal.*`) or that a Stripe workflow
 * forwards. The rep is the member in `data.userId` (else `data.repId`, `data.ownerId`, or
 * Stripe's `data.metadata.userId`); the lead is `data.leadId` (else `contactId`, `email`).
 * A trigger parses them into `salesboard_activity` as they arrive (migration
 * 20261204000015_analytics): changing these lists needs a migration that redefines it.
 */
export const KINDS = {
  email: ['outbound.email_sent', 'outbound.sent', 'email.sent'],
  call: ['voice.call_completed', 'voice.call_logged', 'call.completed'],
  reply: ['outbound.replied', 'outbound.reply_received', 'email.replied'],
  meeting: ['outbound.meeting_booked', 'voice.meeting_booked', 'meeting.booked'],
  pipeline: ['deal.created', 'deal.opened'],
  won: ['deal.won', 'stripe.invoice.paid', 'stripe.checkout.session.completed'],
} as const;
export type Kind = keyof typeof KINDS;

export const ALL_NAMES: string[] = Object.values(KINDS).flat();
/** The events that carry a deal value (the others are worth 0, and their data is not parsed for one). */
export const VALUED_NAMES: string[] = [...KINDS.pipeline, ...KINDS.won];

/** SQL: the kind of event `e` (from the fixed lists above). */
export const KIND_SQL = `CASE ${Object.entries(KINDS)
  .map(([kind, names]) => `WHEN e.name IN (${names.map((name) => `'${name}'`).join(', ')}) THEN '${kind}'`)
  .join(' ')} END`;

export const REP_SQL =
  "COALESCE(e.actor_id, e.data->>'repId', e.data->>'ownerId', e.data->'metadata'->>'userId')";
export const LEAD_SQL = "COALESCE(e.data->>'leadId', e.data->>'contactId', lower(e.data->>'email'), e.event_id)";

/** A deal's value in cents: `amountCents`, `amount` (units), or Stripe's cents fields. */
export const VALUE_SQL = `COALESCE(
  CASE WHEN e.data->>'amountCents' ~ '^[0-9]{1,15}$' THEN (e.data->>'amountCents')::bigint END,
  CASE WHEN e.data->>'amount' ~ '^[0-9]{1,13}(\\.[0-9]{1,2}){0,1}$' THEN round((e.data->>'amount')::numeric * 100)::bigint END,
  CASE WHEN e.data->>'amount_paid' ~ '^[0-9]{1,15}$' THEN (e.data->>'amount_paid')::bigint END,
  CASE WHEN e.data->>'amount_total' ~ '^[0-9]{1,15}$' THEN (e.data->>'amount_total')::bigint END,
  0)`;
