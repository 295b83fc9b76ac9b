import type { Knex } from 'knex';
import { DomainError, invalidInput } from '../../engine/errors.js';
import type { OutboundEnvelope, OutboundService, StopInfo } from '../../nodes/outbound/service.js';
import { CampaignStore } from './campaigns.js';
import type { OutboundKeys } from './keys.js';
import { ScoreModels } from './learning.js';
import { LeadStore, normaliseEmail, presentLead, type LeadRow } from './leads.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The lead's statuses after which nothing more is sent. */
const FINAL: Partial<Record<LeadRow['status'], StopInfo['reason']>> = {
  unsubscribed: 'unsubscribed',
  bounced: 'bounced',
};

/** `ctx.services.outbound` over Postgres: what the outbound nodes do to the world. */
export class PgOutboundService implements OutboundService {
  readonly leads: LeadStore;
  readonly campaigns: CampaignStore;
  readonly models: ScoreModels;

  constructor(
    private readonly knex: Knex,
    private readonly keys: OutboundKeys,
    private readonly publicUrl: string,
    readonly defaultFrom?: string,
  ) {
    this.leads = new LeadStore(knex);
    this.campaigns = new CampaignStore(knex);
    this.models = new ScoreModels(knex);
  }

  unsubscribeUrl(token: string): string {
    return `${this.publicUrl.replace(/\/$/, '')}/api/v1/outbound/unsubscribe/${token}`;
  }

  async enroll(workspaceId: string, request: Parameters<OutboundService['enroll']>[1]) {
    let lead: LeadRow | undefined;
    if (request.leadId) {
      if (!UUID.test(request.leadId)) throw invalidInput('leadId', 'is not a lead id');
      lead = await this.knex<LeadRow>('outbound_leads')
        .where({ workspace_id: workspaceId, id: request.leadId })
        .first();
    } else if (request.email) {
      lead = await this.leads.byEmail(workspaceId, request.email);
      if (!lead && request.create) {
        if (!normaliseEmail(request.email)) throw invalidInput('email', 'is not an email address');
        const created = await this.leads.upsert(workspaceId, { email: request.email, ...request.create });
        lead = await this.leads.row(workspaceId, created.lead.id);
      }
    }
    if (!lead) return { status: 'skipped' as const, reason: 'no_such_lead', lead: null };
    const final = FINAL[lead.status];
    if (final) return { status: 'skipped' as const, reason: final, lead: presentLead(lead) };
    if (await this.leads.suppressed(workspaceId, lead.email))
      return { status: 'skipped' as const, reason: 'suppressed', lead: presentLead(lead) };
    let campaign = await this.campaigns.forWorkflow(workspaceId, request.workflowId);
    if (campaign.status === 'paused' || campaign.status === 'archived')
      return { status: 'skipped' as const, reason: `campaign_${campaign.status}`, lead: presentLead(lead) };
    campaign = await this.campaigns.activate(workspaceId, campaign);
    const segment = request.segment ?? null;
    const { enrollment, fresh } = await this.campaigns.enroll(
      workspaceId,
      campaign,
      lead.id,
      request.runId,
      segment,
    );
    if (!fresh) return { status: 'skipped' as const, reason: 'already_enrolled', lead: presentLead(lead) };
    const envelope: OutboundEnvelope = {
      lead: presentLead(lead),
      campaignId: campaign.id,
      enrollmentId: enrollment.id,
      segment: enrollment.segment,
    };
    return { status: 'enrolled' as const, envelope, created: false };
  }

  async prepareSend(workspaceId: string, envelope: OutboundEnvelope) {
    const row = await this.leads.row(workspaceId, envelope.lead.id);
    const lead = presentLead(row);
    const token = await this.keys.unsubscribeToken(workspaceId, row.id);
    const base = {
      lead,
      unsubscribeUrl: this.unsubscribeUrl(token),
      ...(envelope.lastMessageId && { threadWith: envelope.lastMessageId }),
    };
    const suppressed = await this.leads.suppressed(workspaceId, row.email);
    if (suppressed)
      return { ...base, blocked: { reason: 'suppressed' as const, classification: suppressed.reason } };
    const final = FINAL[row.status];
    if (final) return { ...base, blocked: { reason: final } };
    const stop = await this.stopped(workspaceId, envelope.enrollmentId);
    if (stop) return { ...base, blocked: stop };
    const campaign = await this.knex('outbound_campaigns')
      .where({ id: envelope.campaignId, workspace_id: workspaceId })
      .first<{ status: string } | undefined>('status');
    if (!campaign) throw new DomainError('not_found', 'not_found', 'The campaign does not exist');
    if (campaign.status !== 'active')
      return {
        ...base,
        blocked: { reason: 'stopped' as const, classification: `campaign_${campaign.status}` },
      };
    return base;
  }

  recordSend(workspaceId: string, send: Parameters<OutboundService['recordSend']>[1]) {
    return this.campaigns.recordSend(workspaceId, send);
  }

  async stopped(workspaceId: string, enrollmentId: string): Promise<StopInfo | undefined> {
    const enrollment = await this.campaigns.enrollment(workspaceId, enrollmentId);
    if (!enrollment || enrollment.status === 'active') return undefined;
    return { reason: enrollment.stop_reason ?? 'stopped' };
  }

  variantCounts(workspaceId: string, key: { campaignId: string; picker: string; segment: string }) {
    return this.campaigns.variantCounts(workspaceId, key);
  }

  async updateLead(workspaceId: string, leadId: string, patch: Parameters<OutboundService['updateLead']>[2]) {
    const lead = await this.leads.update(workspaceId, leadId, {
      ...(patch.status && { status: patch.status }),
      ...(patch.ownerId !== undefined && { ownerId: patch.ownerId }),
      ...(patch.attributes && {
        attributes: patch.attributes as Record<string, string | number | boolean | null>,
      }),
    });
    const label =
      patch.outcome?.label ??
      (patch.status === 'won' ? 'positive' : patch.status === 'lost' ? 'negative' : undefined);
    if (label) {
      const key = patch.outcome?.key ?? `status:${patch.status}`;
      const score = await this.models.learn(
        workspaceId,
        await this.leads.row(workspaceId, leadId),
        label === 'positive' ? 1 : 0,
        `${leadId}:${key}`,
      );
      return { ...lead, score: score.score };
    }
    return lead;
  }

  async score(workspaceId: string, leadId: string) {
    const row = await this.leads.row(workspaceId, leadId);
    const score = await this.models.score(workspaceId, row);
    if (row.score !== score.score)
      await this.knex('outbound_leads').where({ id: row.id }).update({ score: score.score });
    return score;
  }

  /** The lead's timeline, oldest first. */
  async timeline(workspaceId: string, leadId: string) {
    type Row = {
      id: string;
      kind: string;
      classification: string | null;
      data: Record<string, unknown>;
      occurred_at: Date;
      send_id: string | null;
      campaign: string | null;
    };
    const rows = await this.knex('outbound_events as e')
      .leftJoin('outbound_campaigns as c', 'c.id', 'e.campaign_id')
      .where({ 'e.workspace_id': workspaceId, 'e.lead_id': leadId })
      .orderBy([{ column: 'e.occurred_at' }, { column: 'e.id' }])
      .limit(500)
      .select<Row[]>(
        'e.id',
        'e.kind',
        'e.classification',
        'e.data',
        'e.occurred_at',
        'e.send_id',
        'c.name as campaign',
      );
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      classification: row.classification,
      data: row.data,
      sendId: row.send_id,
      campaign: row.campaign,
      occurredAt: row.occurred_at.toISOString(),
    }));
  }

  async sendsOf(workspaceId: string, leadId: string) {
    const rows = await this.knex('outbound_sends')
      .where({ workspace_id: workspaceId, lead_id: leadId })
      .orderBy('sent_at')
      .limit(500)
      .select<Array<Record<string, unknown> & { sent_at: Date; replied_at: Date | null }>>('*');
    return rows.map((row) => ({
      id: row.id,
      campaignId: row.campaign_id,
      step: row.step,
      variant: row.variant,
      subject: row.subject,
      messageId: row.message_id,
      status: row.status,
      replyClass: row.reply_class,
      sentAt: row.sent_at.toISOString(),
      repliedAt: row.replied_at?.toISOString() ?? null,
    }));
  }

  async enrollmentsOf(workspaceId: string, leadId: string) {
    type Row = {
      id: string;
      campaign_id: string;
      name: string;
      status: string;
      stop_reason: string | null;
      run_id: string | null;
      created_at: Date;
    };
    const rows = await this.knex('outbound_enrollments as e')
      .join('outbound_campaigns as c', 'c.id', 'e.campaign_id')
      .where({ 'e.workspace_id': workspaceId, 'e.lead_id': leadId })
      .select<Row[]>(
        'e.id',
        'e.campaign_id',
        'c.name',
        'e.status',
        'e.stop_reason',
        'e.run_id',
        'e.created_at',
      );
    return rows.map((row) => ({
      id: row.id,
      campaignId: row.campaign_id,
      campaign: row.name,
      status: row.status,
      stopReason: row.stop_reason,
      runId: row.run_id,
      enrolledAt: row.created_at.toISOString(),
    }));
  }

  /** A manual suppression stops the lead's active enrolments. */
  async stopLeadByEmail(workspaceId: string, email: string): Promise<number> {
    const lead = await this.leads.byEmail(workspaceId, email);
    if (!lead) return 0;
    let stopped = 0;
    for (const enrollment of await this.campaigns.activeEnrollmentsOf(workspaceId, lead.id))
      if (await this.campaigns.stop(enrollment.id, 'suppressed')) stopped += 1;
    return stopped;
  }
}
