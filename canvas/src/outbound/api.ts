import { api, ws } from '../api/client.js';

/** The outbound API (api/outbound/routes*.ts) as the pages use it. */

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
  attributes: Record<string, unknown>;
  ownerId: string | null;
  status: string;
  score: number | null;
  createdAt: string;
}

export interface LeadFilter {
  q?: string;
  status?: string;
  company?: string;
  minScore?: number;
}

export interface TimelineEvent {
  id: string;
  kind: string;
  classification: string | null;
  data: Record<string, unknown>;
  campaign: string | null;
  occurredAt: string;
}

export interface LeadDetail {
  lead: Lead;
  timeline: TimelineEvent[];
  sends: Array<{
    id: string;
    step: string;
    variant: string | null;
    subject: string;
    messageId: string;
    status: string;
    replyClass: string | null;
    sentAt: string;
  }>;
  enrollments: Array<{
    id: string;
    campaign: string;
    campaignId: string;
    status: string;
    stopReason: string | null;
    enrolledAt: string;
  }>;
  score: { score: number; factors: Array<{ feature: string; contribution: number }>; examples: number };
}

export interface RowError {
  row: number;
  field: string;
  message: string;
}

export interface ImportPreview {
  columns: string[];
  mapping: Record<string, string>;
  total: number;
  valid: number;
  rows: Array<{ row: number; lead: Partial<Lead> | null; duplicateOf: number | null }>;
  errors: RowError[];
}

export interface ImportResult {
  total: number;
  created: number;
  merged: number;
  unchanged: number;
  failed: number;
  errors: RowError[];
}

export interface VariantStat {
  picker: string;
  segment: string;
  variant: string;
  sends: number;
  replies: number;
  rewards: number;
  replyRate: number;
  replyRateLow: number;
  replyRateHigh: number;
  posteriorMean: number;
  posteriorShare: number;
}

export interface CampaignStats {
  campaign: { id: string; workflowId: string; name: string; status: string; activatedAt: string | null };
  variants: VariantStat[];
  funnel: Array<{ step: string; sends: number; replies: number; positive: number; bounces: number }>;
  enrolled: { total: number; active: number; stopped: Record<string, number> };
}

export interface Suppression {
  email: string;
  reason: string;
  note: string | null;
  createdAt: string;
}

const base = (workspaceId: string) => `${ws(workspaceId)}/outbound`;

function query(filter: LeadFilter & { limit?: number; offset?: number }): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter))
    if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export const outboundApi = {
  leads: (w: string, filter: LeadFilter & { limit?: number; offset?: number }) =>
    api.get<{ items: Lead[]; total: number }>(`${base(w)}/leads${query(filter)}`),
  lead: (w: string, id: string) => api.get<LeadDetail>(`${base(w)}/leads/${id}`),
  exportUrl: (w: string, filter: LeadFilter) => `${base(w)}/leads/export${query(filter)}`,
  preview: (w: string, csv: string, mapping?: Record<string, string>) =>
    api.post<ImportPreview>(`${base(w)}/leads/import/preview`, { csv, ...(mapping && { mapping }) }),
  importCsv: (w: string, csv: string, mapping: Record<string, string>, mergeRule: string) =>
    api.post<ImportResult>(`${base(w)}/leads/import`, { csv, mapping, mergeRule }),
  campaigns: (w: string) => api.get<{ items: CampaignStats[] }>(`${base(w)}/campaigns`),
  campaign: (w: string, id: string) => api.get<CampaignStats>(`${base(w)}/campaigns/${id}`),
  setCampaignStatus: (w: string, id: string, status: string) =>
    api.patch(`${base(w)}/campaigns/${id}`, { status }),
  enroll: (w: string, workflowId: string, leadIds: string[]) =>
    api.post<{ requested: number; started: number }>(`${base(w)}/campaigns/${workflowId}/enroll`, {
      leadIds,
    }),
  event: (w: string, event: Record<string, unknown>) =>
    api.post<{ matched: boolean; classification?: string }>(`${base(w)}/events`, event),
  suppressions: (w: string, q?: string) =>
    api.get<{ items: Suppression[] }>(`${base(w)}/suppressions${query({ q })}`),
  suppress: (w: string, email: string, note?: string) =>
    api.post(`${base(w)}/suppressions`, { email, reason: 'manual', ...(note && { note }) }),
  unsuppress: (w: string, email: string) =>
    api.delete(`${base(w)}/suppressions/${encodeURIComponent(email)}`),
  settings: (w: string) =>
    api.get<{ inboundUrl: string; signatureHeader: string; secret: string }>(`${base(w)}/settings`),
  rotateSecret: (w: string) => api.post<{ secret: string }>(`${base(w)}/settings/rotate-secret`),
  retrain: (w: string) =>
    api.post<{ examples: number; positives: number; auc: number | null }>(`${base(w)}/score/retrain`),
};

export const pct = (value: number, digits = 1): string => `${(value * 100).toFixed(digits)}%`;
