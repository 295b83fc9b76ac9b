import type { Json, JsonObject } from '../../engine/json.js';

/**
 * Adaptive Outbound as nodes reach it (`ctx.services.outbound`, issue 13). `api/outbound`
 * implements it over Postgres; nodes never touch the tables themselves.
 */

export const leadStatuses = [
  'new',
  'contacted',
  'replied',
  'meeting',
  'won',
  'lost',
  'unsubscribed',
  'bounced',
] as const;
export type LeadStatus = (typeof leadStatuses)[number];

export interface Lead {
  id: string;
  email: string;
  name: string | null;
  company: string | null;
  title: string | null;
  domain: string | null;
  timezone: string | null;
  country: string | null;
  source: string | null;
  attributes: JsonObject;
  ownerId: string | null;
  status: LeadStatus;
  score: number | null;
  createdAt: string;
  updatedAt: string;
}

/** What flows between outbound nodes: the lead and its enrolment, plus the chosen variant. */
export interface OutboundEnvelope {
  lead: Lead;
  campaignId: string;
  enrollmentId: string;
  segment: string | null;
  variant?: Variant & { picker: string };
  /** The Message-ID of the last send of this enrolment, for threading follow-ups. */
  lastMessageId?: string;
}

export interface Variant {
  key: string;
  subject: string;
  body: string;
  followUp?: string;
}

export interface VariantCounts {
  variant: string;
  sends: number;
  rewards: number;
  replies: number;
}

export type EnrollResult =
  | { status: 'enrolled'; envelope: OutboundEnvelope; created: boolean }
  | { status: 'skipped'; reason: string; lead: Lead | null };

/** Why a sequence ends for a lead: a reply of some kind, a meeting, an unsubscribe or a bounce. */
export interface StopInfo {
  reason: 'replied' | 'meeting' | 'unsubscribed' | 'bounced' | 'complained' | 'suppressed' | 'stopped';
  classification?: string;
  sendId?: string;
}

export interface ScoreFactor {
  feature: string;
  contribution: number;
}

export interface LeadScore {
  score: number;
  factors: ScoreFactor[];
  /** How many outcomes the model has learned from (0: the cold-start prior). */
  examples: number;
}

export interface PreparedSend {
  /** Set when this lead must not be mailed: suppressed, unsubscribed, stopped. */
  blocked?: StopInfo;
  unsubscribeUrl: string;
  /** The previous send's Message-ID, for In-Reply-To/References. */
  threadWith?: string;
  lead: Lead;
}

export interface OutboundService {
  /** The sender when neither the step nor its SMTP credential names one (REVFLOW_OUTBOUND_FROM). */
  readonly defaultFrom?: string;
  enroll(
    workspaceId: string,
    request: {
      workflowId: string;
      runId: string;
      leadId?: string;
      email?: string;
      /** Create the lead from the event when it does not exist (metered as a new lead). */
      create?: { name?: string; company?: string; title?: string; timezone?: string; source?: string };
      segment?: string;
    },
  ): Promise<EnrollResult>;
  /** Before a send: is the lead still sendable, and its signed unsubscribe link. */
  prepareSend(workspaceId: string, envelope: OutboundEnvelope): Promise<PreparedSend>;
  /** After a send: one row per (enrolment, step); counts the variant's send once. */
  recordSend(
    workspaceId: string,
    send: {
      envelope: OutboundEnvelope;
      step: string;
      messageId: string;
      subject: string;
      variant?: { picker: string; key: string };
    },
  ): Promise<{ sendId: string; counted: boolean }>;
  /** Why the enrolment has stopped, if it has. */
  stopped(workspaceId: string, enrollmentId: string): Promise<StopInfo | undefined>;
  variantCounts(
    workspaceId: string,
    key: { campaignId: string; picker: string; segment: string },
  ): Promise<VariantCounts[]>;
  updateLead(
    workspaceId: string,
    leadId: string,
    patch: {
      status?: LeadStatus;
      attributes?: JsonObject;
      ownerId?: string | null;
      /** Teach the lead score: `positive` (like a meeting) or `negative` (no reply after the sequence). */
      outcome?: { label: 'positive' | 'negative'; key: string };
    },
  ): Promise<Lead>;
  score(workspaceId: string, leadId: string): Promise<LeadScore>;
}

/** Signal kind an outbound wait listens for; the key is the enrolment id (api/outbound/inbound.ts). */
export const OUTBOUND_SIGNAL = 'outbound';

/** The payload an inbound event resumes a waiting step with. */
export interface OutboundSignalPayload extends StopInfo {
  eventId: string;
  data: Json;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    outbound?: OutboundService;
  }
}
