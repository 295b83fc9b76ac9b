import { ident, type SchemaProbe } from './schema-probe.js';

/**
 * The ten activation milestones (issue 15), each found from the database rows of the fact it
 * names — never from the code that writes them, which other features own. Each source is a SQL
 * query returning `(workspace_id, user_key, user_id, at)`: `user_key` is '' for a workspace
 * milestone and the user id for a personal one. A missing table yields no rows.
 */
export const MILESTONES = [
  'account_created',
  'profile_completed',
  'onboarding_completed',
  'first_lead_added',
  'first_campaign_created',
  'first_campaign_launched',
  'first_email_sent',
  'email_account_connected',
  'crm_connected',
  'team_member_invited',
] as const;
export type Milestone = (typeof MILESTONES)[number];

/** Personal milestones are emitted once per (workspace, user); the others once per workspace. */
export const PERSONAL: ReadonlySet<Milestone> = new Set(['account_created', 'profile_completed']);

export const MILESTONE_TITLES: Record<Milestone, string> = {
  account_created: 'Account created',
  profile_completed: 'Profile completed',
  onboarding_completed: 'Onboarding completed',
  first_lead_added: 'First lead added',
  first_campaign_created: 'First campaign created',
  first_campaign_launched: 'First campaign launched',
  first_email_sent: 'First email sent',
  email_account_connected: 'Email account connected',
  crm_connected: 'CRM connected',
  team_member_invited: 'Team member invited',
};

/** Sending credentials (an SMTP server or a mail provider's key). */
export const SENDING_CREDENTIAL_TYPES = ['smtp', 'gmail', 'outlook', 'sendgrid', 'mailgun', 'postmark', 'ses'];
/** CRM credentials or integrations, by type or by name. */
export const CRM_PATTERN = '(hubspot|salesforce|pipedrive|zoho|attio|close\\.com|\\mcrm\\M)';

const OWNER = (alias: string): string =>
  `(SELECT o.user_id FROM memberships o WHERE o.workspace_id = ${alias}.workspace_id AND o.role = 'owner' ORDER BY o.created_at LIMIT 1)`;

/** The first row per workspace of a table, with who made it (a column, else the owner). */
function firstRow(table: string, at: string, by: string | undefined, where = 'TRUE'): string {
  const user = by ? `COALESCE(t.${ident(by)}, ${OWNER('t')})` : OWNER('t');
  return `SELECT DISTINCT ON (t.workspace_id) t.workspace_id, ''::text AS user_key, ${user} AS user_id, t.${ident(at)} AS at
            FROM ${ident(table)} t WHERE t.${ident(at)} IS NOT NULL AND (${where})
           ORDER BY t.workspace_id, t.${ident(at)}`;
}

/** The earlier of two sources, per workspace. */
function earliest(a: string, b: string): string {
  return `SELECT DISTINCT ON (workspace_id) * FROM ((${a}) UNION ALL (${b})) x ORDER BY workspace_id, at`;
}

const CREATED_BY = ['created_by', 'created_by_user_id', 'owner_id', 'owner_user_id', 'user_id'];

/** SQL per milestone over every workspace; undefined when its tables do not exist yet. */
export async function milestoneSources(probe: SchemaProbe): Promise<Partial<Record<Milestone, string>>> {
  const sources: Partial<Record<Milestone, string>> = {
    account_created: `SELECT m.workspace_id, m.user_id::text AS user_key, m.user_id, m.created_at AS at FROM memberships m`,
    // No profile page keeps more than the name yet: a profile saved after sign-up counts.
    profile_completed: `SELECT m.workspace_id, u.id::text AS user_key, u.id AS user_id, GREATEST(u.updated_at, m.created_at) AS at
                          FROM memberships m JOIN users u ON u.id = m.user_id
                         WHERE u.updated_at > u.created_at + interval '1 second' AND btrim(u.name) <> ''`,
    // Onboarding ends with the first published workflow: the product's first "it runs" moment.
    onboarding_completed: firstRow('workflow_versions', 'created_at', 'created_by'),
    first_email_sent: firstRow('usage_events', 'occurred_at', undefined, `t.meter = 'emails'`),
    email_account_connected: firstRow(
      'credentials',
      'created_at',
      'created_by',
      `t.type IN (${SENDING_CREDENTIAL_TYPES.map((type) => `'${type}'`).join(', ')})`,
    ),
    crm_connected: firstRow(
      'credentials',
      'created_at',
      'created_by',
      `t.type ~* '${CRM_PATTERN}' OR t.name ~* '${CRM_PATTERN}'`,
    ),
    team_member_invited: firstRow('invitations', 'created_at', 'invited_by_user_id'),
  };

  // Leads: the outbound feature's table when it exists, and the leads meter of billing.
  const leadMeter = firstRow('usage_events', 'occurred_at', undefined, `t.meter = 'leads'`);
  const leads = await probe.firstTable(['leads', 'outbound_leads']);
  sources.first_lead_added =
    leads && (await probe.firstColumn(leads, ['workspace_id'])) && (await probe.firstColumn(leads, ['created_at']))
      ? earliest(firstRow(leads, 'created_at', await probe.firstColumn(leads, CREATED_BY)), leadMeter)
      : leadMeter;
  const outboundSends = await probe.firstColumn('outbound_sends', ['sent_at']);
  if (outboundSends && sources.first_email_sent)
    sources.first_email_sent = earliest(sources.first_email_sent, firstRow('outbound_sends', 'sent_at', undefined));

  const campaigns = await probe.firstTable(['campaigns', 'outbound_campaigns']);
  if (campaigns && (await probe.firstColumn(campaigns, ['workspace_id'])) && (await probe.firstColumn(campaigns, ['created_at']))) {
    const by = await probe.firstColumn(campaigns, CREATED_BY);
    sources.first_campaign_created = firstRow(campaigns, 'created_at', by);
    const launchedAt = await probe.firstColumn(campaigns, ['launched_at', 'started_at', 'activated_at']);
    const status = await probe.firstColumn(campaigns, ['status', 'state']);
    // Billing's campaigns gauge (a campaign was active) counts as well: whichever came first.
    const gauge = firstRow('usage_events', 'occurred_at', undefined, `t.meter = 'campaigns' AND t.quantity > 0`);
    if (launchedAt) sources.first_campaign_launched = earliest(firstRow(campaigns, launchedAt, by), gauge);
    else if (status) {
      const at = (await probe.firstColumn(campaigns, ['updated_at'])) ?? 'created_at';
      sources.first_campaign_launched = earliest(
        firstRow(campaigns, at, by, `t.${ident(status)} IN ('active', 'running', 'launched', 'sending', 'completed', 'paused')`),
        gauge,
      );
    }
  } else {
    // Before the campaigns table: billing's campaigns gauge says one was active.
    sources.first_campaign_launched = firstRow('usage_events', 'occurred_at', undefined, `t.meter = 'campaigns' AND t.quantity > 0`);
  }

  const integrations = await probe.firstTable(['integrations', 'crm_connections']);
  if (integrations && (await probe.firstColumn(integrations, ['workspace_id']))) {
    const kind = await probe.firstColumn(integrations, ['provider', 'kind', 'type', 'name']);
    const at = await probe.firstColumn(integrations, ['connected_at', 'created_at']);
    if (kind && at) {
      const by = await probe.firstColumn(integrations, CREATED_BY);
      const fromIntegrations = firstRow(integrations, at, by, `t.${ident(kind)}::text ~* '${CRM_PATTERN}'`);
      sources.crm_connected = `SELECT DISTINCT ON (workspace_id) * FROM ((${sources.crm_connected ?? 'SELECT NULL::uuid AS workspace_id, NULL::text AS user_key, NULL::uuid AS user_id, NULL::timestamptz AS at WHERE FALSE'}) UNION ALL (${fromIntegrations})) c ORDER BY workspace_id, at`;
    }
  }
  return sources;
}
