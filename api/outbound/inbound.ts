import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import type { Runtime } from '../../engine/runtime.js';
import {
  classifyByRules,
  isReplyClass,
  replyCategories,
  replyText,
  type ReplyClass,
} from '../../nodes/outbound/classify.js';
import { OUTBOUND_SIGNAL, type OutboundSignalPayload, type StopInfo } from '../../nodes/outbound/service.js';
import { billingFor } from '../billing/hub.js';
import { platformEvents } from '../events/platform.js';
import { nodeServicesOf } from './node-services.js';
import type { PgOutboundService } from './service.js';
import type { LeadRow, SuppressionReason } from './leads.js';

/**
 * Inbound outbound events (issue 13): replies, bounces, unsubscribes, complaints and meetings,
 * from the signed webhook or the events API. A reply is matched to the send it answers by
 * In-Reply-To, then References, then by the sender's address (their latest send). Each event is
 * applied once (its id, else a hash of it), becomes a platform event (`outbound.replied`, …),
 * stops the enrolment and resumes the lead's waiting `outbound.waitForReply` step.
 */

export const inboundTypes = ['reply', 'bounce', 'unsubscribe', 'complaint', 'meeting'] as const;

const header = z.string().max(8000);
export const inboundEventSchema = z.object({
  id: z.string().min(1).max(200).optional().describe("The sender's event id: a repeat is applied once"),
  type: z.enum(inboundTypes),
  inReplyTo: header.optional().describe("The reply's In-Reply-To header"),
  references: header.optional().describe("The reply's References header"),
  messageId: header.optional().describe('Message-ID of the send this is about (bounces) or of the reply'),
  from: z.string().max(320).optional().describe("The lead's address, when no Message-ID matches"),
  subject: z.string().max(2000).optional(),
  text: z.string().max(100_000).optional().describe('The reply text'),
  classification: z
    .enum(['positive', 'neutral', 'negative', 'out_of_office', 'unsubscribe'])
    .optional()
    .describe('Skip classification'),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
});
export type InboundEvent = z.infer<typeof inboundEventSchema>;

export interface InboundResult {
  matched: boolean;
  duplicate: boolean;
  eventId?: string;
  leadId?: string;
  sendId?: string;
  campaignId?: string;
  classification?: ReplyClass;
  classifiedBy?: string;
  stoppedEnrollments: number;
  resumedRuns: number;
  platformEvent?: string;
}

interface SendRow {
  id: string;
  workspace_id: string;
  campaign_id: string;
  lead_id: string;
  enrollment_id: string | null;
  picker: string | null;
  segment: string | null;
  variant: string | null;
  message_id: string;
}

const messageIds = (value: string | undefined): string[] =>
  value ? (value.match(/<[^<>\s]{1,500}>/g) ?? []) : [];

export class InboundProcessor {
  constructor(
    private readonly knex: Knex,
    private readonly outbound: PgOutboundService,
    private readonly runtime: () => Runtime,
  ) {}

  private async findSend(workspaceId: string, event: InboundEvent): Promise<SendRow | undefined> {
    const candidates = [
      ...messageIds(event.inReplyTo),
      ...messageIds(event.references).reverse(),
      ...messageIds(event.messageId),
    ];
    for (const id of candidates) {
      const send = await this.knex<SendRow>('outbound_sends')
        .where({ workspace_id: workspaceId, message_id: id })
        .first();
      if (send) return send;
    }
    if (!event.from) return undefined;
    const lead = await this.outbound.leads.byEmail(workspaceId, event.from.replace(/^.*<([^>]+)>.*$/, '$1'));
    if (!lead) return undefined;
    return this.knex<SendRow>('outbound_sends')
      .where({ workspace_id: workspaceId, lead_id: lead.id })
      .orderBy('sent_at', 'desc')
      .first();
  }

  private async classify(
    workspaceId: string,
    event: InboundEvent,
    key: string,
  ): Promise<{ label: ReplyClass; by: string }> {
    if (event.classification) return { label: event.classification, by: 'given' };
    const text = replyText(`${event.subject ?? ''}\n${event.text ?? ''}`);
    const ai = nodeServicesOf(this.knex)?.ai;
    if (ai) {
      try {
        const answer = await ai.classify(
          workspaceId,
          { text, categories: replyCategories, multiLabel: false },
          { idempotencyKey: `outbound-reply:${key}` },
        );
        const label = answer.labels[0];
        if (label && isReplyClass(label)) return { label, by: `ai:${answer.provider}` };
      } catch {
        // The AI layer failing (quota, provider down) must not lose a reply: the rules still classify it.
      }
    }
    return { label: classifyByRules(text), by: 'rules' };
  }

  async process(workspaceId: string, event: InboundEvent): Promise<InboundResult> {
    const send = await this.findSend(workspaceId, event);
    let lead: LeadRow | undefined = send
      ? await this.knex<LeadRow>('outbound_leads').where({ id: send.lead_id }).first()
      : undefined;
    if (!lead && event.from) lead = await this.outbound.leads.byEmail(workspaceId, event.from);
    const base = { stoppedEnrollments: 0, resumedRuns: 0 };
    if (!lead) return { matched: false, duplicate: false, ...base };
    const key = event.id ?? createHash('sha256').update(JSON.stringify(event)).digest('hex').slice(0, 40);
    const dedup = `${event.type}:${key}`;
    const occurredAt = event.occurredAt ? new Date(event.occurredAt) : new Date();

    let classification: ReplyClass | undefined;
    let classifiedBy: string | undefined;
    let type = event.type;
    if (type === 'reply') {
      ({ label: classification, by: classifiedBy } = await this.classify(workspaceId, event, dedup));
      if (classification === 'unsubscribe') type = 'unsubscribe';
    }
    const kind = {
      reply: 'replied',
      bounce: 'bounced',
      unsubscribe: 'unsubscribed',
      complaint: 'complained',
      meeting: 'meeting',
    }[type];
    const inserted = await this.knex('outbound_events')
      .insert({
        workspace_id: workspaceId,
        lead_id: lead.id,
        send_id: send?.id ?? null,
        campaign_id: send?.campaign_id ?? null,
        kind,
        classification: classification ?? null,
        dedup_key: dedup,
        data: JSON.stringify({
          subject: event.subject ?? null,
          text: (event.text ?? '').slice(0, 4000),
          classifiedBy: classifiedBy ?? null,
        }),
        occurred_at: occurredAt,
      })
      .onConflict(['workspace_id', 'dedup_key'])
      .ignore()
      .returning('id');
    const ids = { leadId: lead.id, ...(send && { sendId: send.id, campaignId: send.campaign_id }) };
    if (inserted.length === 0) return { matched: true, duplicate: true, ...ids, ...base };
    const eventId = (inserted[0] as { id: string }).id;

    // An out-of-office is noted on the timeline; the sequence goes on.
    if (classification === 'out_of_office')
      return {
        matched: true,
        duplicate: false,
        eventId,
        ...ids,
        classification,
        ...(classifiedBy && { classifiedBy }),
        ...base,
      };

    const positive = type === 'meeting' || classification === 'positive';
    const stop: StopInfo['reason'] =
      type === 'reply'
        ? 'replied'
        : type === 'meeting'
          ? 'meeting'
          : type === 'bounce'
            ? 'bounced'
            : type === 'complaint'
              ? 'complained'
              : 'unsubscribed';
    const enrollments: string[] = [];
    await this.knex.transaction(async (trx) => {
      if (send && (type === 'reply' || type === 'meeting')) {
        // A send counts as replied once, however many replies its thread gets.
        const first = await trx('outbound_sends')
          .where({ id: send.id })
          .whereNot({ status: 'replied' })
          .update({ status: 'replied', reply_class: classification ?? 'positive', replied_at: occurredAt })
          .returning('id');
        if (first.length > 0 && send.picker && send.variant)
          await trx('outbound_variant_stats')
            .where({
              campaign_id: send.campaign_id,
              picker: send.picker,
              segment: send.segment ?? '',
              variant: send.variant,
            })
            .increment('replies', 1);
        if (positive) await this.outbound.campaigns.reward(send, trx);
      }
      if (send && type === 'bounce')
        await trx('outbound_sends').where({ id: send.id }).update({ status: 'bounced' });
      const status = {
        reply: 'replied',
        meeting: 'meeting',
        bounce: 'bounced',
        unsubscribe: 'unsubscribed',
        complaint: 'unsubscribed',
      }[type];
      // A reply does not undo a meeting or a win.
      const keep =
        type === 'reply' ? ['meeting', 'won', 'unsubscribed', 'bounced'] : type === 'meeting' ? ['won'] : [];
      await trx('outbound_leads')
        .where({ id: lead.id })
        .whereNotIn('status', keep)
        .update({ status, updated_at: trx.fn.now() });
      if (type === 'bounce' || type === 'unsubscribe' || type === 'complaint') {
        const reason: SuppressionReason =
          type === 'bounce' ? 'bounced' : type === 'complaint' ? 'complained' : 'unsubscribed';
        await this.outbound.leads.suppress(workspaceId, lead.email, reason, undefined, trx);
      }
      // Replies and meetings stop the campaign they answer; the others every campaign of the lead.
      const targets =
        (type === 'reply' || type === 'meeting') && send?.enrollment_id
          ? [send.enrollment_id]
          : (
              await trx('outbound_enrollments')
                .where({ workspace_id: workspaceId, lead_id: lead.id, status: 'active' })
                .select('id')
            ).map((row: { id: string }) => row.id);
      for (const id of targets) if (await this.outbound.campaigns.stop(id, stop, trx)) enrollments.push(id);
      const name = {
        reply: 'outbound.replied',
        meeting: 'outbound.meeting_booked',
        bounce: 'outbound.bounced',
        unsubscribe: 'outbound.unsubscribed',
        complaint: 'outbound.complained',
      }[type];
      await platformEvents(this.knex).emit(
        {
          workspaceId,
          eventId: `${name}:${eventId}`,
          name,
          data: {
            leadId: lead.id,
            email: lead.email,
            sendId: send?.id ?? null,
            campaignId: send?.campaign_id ?? null,
            variant: send?.variant ?? null,
            classification: classification ?? null,
            occurredAt: occurredAt.toISOString(),
          },
        },
        trx,
      );
    });
    // Emitted inside the transaction: deliver now that it committed (the sweeper would, later).
    billingFor(this.knex).outbox.flushSoon();
    // The score learns from what the lead did (a bounce says nothing about fit).
    if (positive || classification === 'negative' || type === 'unsubscribe')
      await this.outbound.models.learn(
        workspaceId,
        await this.outbound.leads.row(workspaceId, lead.id),
        positive ? 1 : 0,
        `${lead.id}:${dedup}`,
      );
    let resumed = 0;
    for (const enrollmentId of enrollments) {
      const payload: OutboundSignalPayload = {
        reason: stop,
        ...(classification && { classification }),
        ...(send && { sendId: send.id }),
        eventId,
        data: { type, subject: event.subject ?? null },
      };
      const delivered = await this.runtime().signal(
        workspaceId,
        OUTBOUND_SIGNAL,
        enrollmentId,
        payload as unknown as Json,
      );
      resumed += delivered.length;
    }
    const platformEvent = {
      reply: 'outbound.replied',
      meeting: 'outbound.meeting_booked',
      bounce: 'outbound.bounced',
      unsubscribe: 'outbound.unsubscribed',
      complaint: 'outbound.complained',
    }[type];
    return {
      matched: true,
      duplicate: false,
      eventId,
      ...ids,
      ...(classification && { classification }),
      ...(classifiedBy && { classifiedBy }),
      stoppedEnrollments: enrollments.length,
      resumedRuns: resumed,
      platformEvent,
    };
  }
}
