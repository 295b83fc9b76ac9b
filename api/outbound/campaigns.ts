import type { Knex } from 'knex';
import { DomainError, notFoundError } from '../../engine/errors.js';
import { posteriorShare, wilson } from '../../nodes/outbound/bandit.js';
import type { OutboundEnvelope, StopInfo, VariantCounts } from '../../nodes/outbound/service.js';
import { billingFor } from '../billing/hub.js';

/** Campaigns (one per workflow), enrolments, sends and the variant counts (issue 13). */

export type CampaignStatus = 'draft' | 'active' | 'paused' | 'archived';

export interface CampaignRow {
  id: string;
  workspace_id: string;
  workflow_id: string;
  name: string;
  status: CampaignStatus;
  activated_at: Date | null;
  created_at: Date;
}

export interface EnrollmentRow {
  id: string;
  workspace_id: string;
  campaign_id: string;
  lead_id: string;
  run_id: string | null;
  segment: string | null;
  status: 'active' | 'stopped' | 'completed';
  stop_reason: StopInfo['reason'] | null;
}

export function presentCampaign(row: CampaignRow) {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    name: row.name,
    status: row.status,
    activatedAt: row.activated_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

export class CampaignStore {
  constructor(private readonly knex: Knex) {}

  /** The campaign of a workflow of this workspace, made on first use. */
  async forWorkflow(workspaceId: string, workflowId: string): Promise<CampaignRow> {
    await this.knex.raw(
      `INSERT INTO outbound_campaigns (workspace_id, workflow_id, name)
       SELECT workspace_id, id, name FROM workflows WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL
       ON CONFLICT (workflow_id) DO NOTHING`,
      [workflowId, workspaceId],
    );
    const row = await this.knex<CampaignRow>('outbound_campaigns')
      .where({ workspace_id: workspaceId, workflow_id: workflowId })
      .first();
    if (!row) throw notFoundError('The campaign workflow');
    return row;
  }

  async get(workspaceId: string, id: string): Promise<CampaignRow> {
    const row = /^[0-9a-f-]{36}$/i.test(id)
      ? await this.knex<CampaignRow>('outbound_campaigns')
          .where({ workspace_id: workspaceId })
          .andWhere((q) => {
            void q.where({ id }).orWhere({ workflow_id: id });
          })
          .first()
      : undefined;
    if (!row) throw notFoundError('The campaign');
    return row;
  }

  async list(workspaceId: string): Promise<CampaignRow[]> {
    return this.knex<CampaignRow>('outbound_campaigns')
      .where({ workspace_id: workspaceId })
      .orderBy('created_at', 'desc')
      .limit(500);
  }

  /**
   * Make a campaign active; the `campaigns` meter (max) records how many are active at once, so a
   * plan's limit refuses one more with the plan's message. One conditional UPDATE decides which
   * caller activates (the others read the winner's row); no lock is held while the meter is
   * reserved — a transaction waiting on a lock while the holder needs a second pool connection
   * for the meter exhausted the pool when 10,000 enrolments of a new campaign arrived at once.
   */
  async activate(workspaceId: string, campaign: CampaignRow): Promise<CampaignRow> {
    if (campaign.status === 'active') return campaign;
    if (campaign.status === 'archived')
      throw new DomainError('conflict', 'campaign_archived', 'This campaign is archived');
    const [won] = await this.knex<CampaignRow>('outbound_campaigns')
      .where({ id: campaign.id, workspace_id: workspaceId })
      .whereNot({ status: 'active' })
      .whereNot({ status: 'archived' })
      .update({ status: 'active', activated_at: this.knex.fn.now() as never })
      .returning('*');
    if (!won) {
      const now = await this.knex<CampaignRow>('outbound_campaigns').where({ id: campaign.id }).first();
      if (now?.status === 'active') return now;
      throw new DomainError('conflict', 'campaign_archived', 'This campaign is archived');
    }
    const [{ count }] = (await this.knex('outbound_campaigns')
      .where({ workspace_id: workspaceId, status: 'active' })
      .count('* as count')) as [{ count: string }];
    const active = Number(count);
    try {
      await billingFor(this.knex).usage.reserve(workspaceId, {
        meter: 'campaigns',
        quantity: active,
        idempotencyKey: `campaigns:${campaign.id}:${active}:${Date.now()}`,
        source: 'outbound',
      });
    } catch (error) {
      // Over the plan: the campaign goes back to what it was.
      await this.knex('outbound_campaigns')
        .where({ id: campaign.id })
        .update({ status: campaign.status, activated_at: campaign.activated_at ?? null });
      throw error;
    }
    return won;
  }

  async setStatus(workspaceId: string, id: string, status: CampaignStatus): Promise<CampaignRow> {
    const campaign = await this.get(workspaceId, id);
    if (status === 'active') return this.activate(workspaceId, campaign);
    const [row] = await this.knex<CampaignRow>('outbound_campaigns')
      .where({ id: campaign.id })
      .update({ status })
      .returning('*');
    return row!;
  }

  /** Enrol once per campaign: the same run asking again gets its enrolment back. */
  async enroll(
    workspaceId: string,
    campaign: CampaignRow,
    leadId: string,
    runId: string,
    segment: string | null,
  ): Promise<{ enrollment: EnrollmentRow; fresh: boolean }> {
    const inserted = await this.knex('outbound_enrollments')
      .insert({
        workspace_id: workspaceId,
        campaign_id: campaign.id,
        lead_id: leadId,
        run_id: runId,
        segment,
      })
      .onConflict(['campaign_id', 'lead_id'])
      .ignore()
      .returning('*');
    if (inserted.length > 0) return { enrollment: inserted[0] as EnrollmentRow, fresh: true };
    const existing = await this.knex<EnrollmentRow>('outbound_enrollments')
      .where({ campaign_id: campaign.id, lead_id: leadId })
      .first();
    return { enrollment: existing!, fresh: existing?.run_id === runId };
  }

  async enrollment(workspaceId: string, id: string): Promise<EnrollmentRow | undefined> {
    return this.knex<EnrollmentRow>('outbound_enrollments').where({ workspace_id: workspaceId, id }).first();
  }

  /** Stop an active enrolment; true when this call stopped it. */
  async stop(
    enrollmentId: string,
    reason: StopInfo['reason'],
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<boolean> {
    const rows = await db('outbound_enrollments')
      .where({ id: enrollmentId, status: 'active' })
      .update({ status: 'stopped', stop_reason: reason, stopped_at: db.fn.now() })
      .returning('id');
    return rows.length > 0;
  }

  async activeEnrollmentsOf(workspaceId: string, leadId: string): Promise<EnrollmentRow[]> {
    return this.knex<EnrollmentRow>('outbound_enrollments').where({
      workspace_id: workspaceId,
      lead_id: leadId,
      status: 'active',
    });
  }

  /** One send row per (enrolment, step); the variant's send is counted with it, atomically. */
  async recordSend(
    workspaceId: string,
    send: {
      envelope: OutboundEnvelope;
      step: string;
      messageId: string;
      subject: string;
      variant?: { picker: string; key: string };
    },
  ): Promise<{ sendId: string; counted: boolean }> {
    const { envelope } = send;
    return this.knex.transaction(async (trx) => {
      const inserted = await trx('outbound_sends')
        .insert({
          workspace_id: workspaceId,
          campaign_id: envelope.campaignId,
          lead_id: envelope.lead.id,
          enrollment_id: envelope.enrollmentId,
          step: send.step,
          picker: send.variant?.picker ?? null,
          variant: send.variant?.key ?? null,
          segment: envelope.segment ?? '',
          message_id: send.messageId,
          subject: send.subject,
        })
        .onConflict(['enrollment_id', 'step'])
        .ignore()
        .returning('id');
      if (inserted.length === 0) {
        const row = await trx('outbound_sends')
          .where({ enrollment_id: envelope.enrollmentId, step: send.step })
          .first<{ id: string }>('id');
        return { sendId: row.id, counted: false };
      }
      const sendId = (inserted[0] as { id: string }).id;
      if (send.variant) {
        await trx.raw(
          `INSERT INTO outbound_variant_stats (workspace_id, campaign_id, picker, segment, variant, sends)
           VALUES (?, ?, ?, ?, ?, 1)
           ON CONFLICT (campaign_id, picker, segment, variant) DO UPDATE SET sends = outbound_variant_stats.sends + 1`,
          [workspaceId, envelope.campaignId, send.variant.picker, envelope.segment ?? '', send.variant.key],
        );
      }
      await trx('outbound_events')
        .insert({
          workspace_id: workspaceId,
          lead_id: envelope.lead.id,
          send_id: sendId,
          campaign_id: envelope.campaignId,
          kind: 'sent',
          dedup_key: `sent:${send.messageId}`,
          data: JSON.stringify({
            subject: send.subject,
            step: send.step,
            variant: send.variant?.key ?? null,
          }),
        })
        .onConflict(['workspace_id', 'dedup_key'])
        .ignore();
      await trx('outbound_leads')
        .where({ id: envelope.lead.id, status: 'new' })
        .update({ status: 'contacted', updated_at: trx.fn.now() });
      return { sendId, counted: true };
    });
  }

  async variantCounts(
    workspaceId: string,
    key: { campaignId: string; picker: string; segment: string },
  ): Promise<VariantCounts[]> {
    return this.knex('outbound_variant_stats')
      .where({
        workspace_id: workspaceId,
        campaign_id: key.campaignId,
        picker: key.picker,
        segment: key.segment,
      })
      .select<VariantCounts[]>('variant', 'sends', 'rewards', 'replies');
  }

  /** Reward the variant of a send once (a positive reply or a meeting), atomically. */
  async reward(
    send: {
      id: string;
      campaign_id: string;
      picker: string | null;
      segment: string | null;
      variant: string | null;
    },
    trx: Knex.Transaction,
  ): Promise<boolean> {
    const taken = await trx('outbound_sends')
      .where({ id: send.id, rewarded: false })
      .update({ rewarded: true })
      .returning('id');
    if (taken.length === 0 || !send.picker || !send.variant) return taken.length > 0;
    await trx('outbound_variant_stats')
      .where({
        campaign_id: send.campaign_id,
        picker: send.picker,
        segment: send.segment ?? '',
        variant: send.variant,
      })
      .increment('rewards', 1);
    return true;
  }

  private async configuredVariants(campaign: CampaignRow): Promise<Map<string, string[]>> {
    type Doc = {
      nodes?: Array<{ id: string; type: string; config?: { variants?: Array<{ key?: unknown }> } }>;
    };
    const row = await this.knex('workflows as w')
      .join(
        'workflow_versions as v',
        'v.id',
        this.knex.raw('coalesce(w.active_version_id, w.published_version_id)'),
      )
      .where({ 'w.id': campaign.workflow_id, 'w.workspace_id': campaign.workspace_id })
      .first<{ document?: Doc } | undefined>('v.document');
    const pickers = new Map<string, string[]>();
    for (const node of row?.document?.nodes ?? []) {
      if (node.type !== 'outbound.pickVariant') continue;
      const keys = (node.config?.variants ?? [])
        .map((variant) => variant.key)
        .filter((key): key is string => typeof key === 'string');
      pickers.set(node.id, keys);
    }
    return pickers;
  }

  /** What the Campaigns page shows: per-variant counts with intervals and posterior share, and a per-step funnel. */
  async stats(workspaceId: string, campaign: CampaignRow) {
    const [variants, steps, enrollments] = await Promise.all([
      this.knex('outbound_variant_stats')
        .where({ workspace_id: workspaceId, campaign_id: campaign.id })
        .orderBy(['picker', 'segment', 'variant']),
      this.knex('outbound_sends')
        .where({ workspace_id: workspaceId, campaign_id: campaign.id })
        .groupBy('step')
        .select('step')
        .count('* as sends')
        .select(this.knex.raw("count(*) FILTER (WHERE status = 'replied') AS replies"))
        .select(this.knex.raw("count(*) FILTER (WHERE status = 'bounced') AS bounces"))
        .select(this.knex.raw("count(*) FILTER (WHERE reply_class = 'positive') AS positive"))
        .select(this.knex.raw('min(sent_at) AS first_sent')),
      this.knex('outbound_enrollments')
        .where({ workspace_id: workspaceId, campaign_id: campaign.id })
        .groupBy('status', 'stop_reason')
        .select('status', 'stop_reason')
        .count('* as count'),
    ]);
    type StatRow = {
      picker: string;
      segment: string;
      variant: string;
      sends: number;
      rewards: number;
      replies: number;
    };
    // Variants not sent yet are shown too: they come from the campaign workflow's current version.
    const rows = [...(variants as StatRow[])];
    for (const [picker, keys] of await this.configuredVariants(campaign)) {
      for (const variant of keys)
        if (!rows.some((row) => row.picker === picker && row.segment === '' && row.variant === variant))
          rows.push({ picker, segment: '', variant, sends: 0, rewards: 0, replies: 0 });
    }
    const groups = new Map<string, StatRow[]>();
    for (const row of rows) {
      const key = `${row.picker}\u0000${row.segment}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    const variantStats = [...groups.values()].flatMap((rows) => {
      const share = posteriorShare(rows.map((row) => ({ sends: row.sends, rewards: row.rewards })));
      return rows.map((row, index) => {
        const interval = wilson(row.replies, row.sends);
        return {
          picker: row.picker,
          segment: row.segment,
          variant: row.variant,
          sends: row.sends,
          replies: row.replies,
          rewards: row.rewards,
          replyRate: row.sends ? row.replies / row.sends : 0,
          replyRateLow: interval.low,
          replyRateHigh: interval.high,
          posteriorMean: (1 + row.rewards) / (2 + row.sends),
          posteriorShare: share[index] ?? 0,
        };
      });
    });
    const funnel = (steps as Array<Record<string, string | Date>>)
      .map((row) => ({
        step: String(row.step),
        sends: Number(row.sends),
        replies: Number(row.replies),
        positive: Number(row.positive),
        bounces: Number(row.bounces),
        firstSent: row.first_sent instanceof Date ? row.first_sent.getTime() : 0,
      }))
      .sort((a, b) => a.firstSent - b.firstSent)
      .map(({ firstSent: _first, ...rest }) => rest);
    const enrolled = { total: 0, active: 0, stopped: {} as Record<string, number> };
    for (const row of enrollments as Array<{ status: string; stop_reason: string | null; count: string }>) {
      enrolled.total += Number(row.count);
      if (row.status === 'active') enrolled.active += Number(row.count);
      else
        enrolled.stopped[row.stop_reason ?? row.status] =
          (enrolled.stopped[row.stop_reason ?? row.status] ?? 0) + Number(row.count);
    }
    return { campaign: presentCampaign(campaign), variants: variantStats, funnel, enrolled };
  }
}
