import { api, ws } from '../api/client.js';

/** GET /workspaces/:id/salesboard (api/salesboard/routes.ts). */
export interface RepMetrics {
  calls: number;
  emailsSent: number;
  replies: number;
  meetings: number;
  contacted: number;
  repliedLeads: number;
  meetingLeads: number;
  wonDeals: number;
  wonLeads: number;
  pipelineCents: number;
  wonCents: number;
  replyRate: number;
  meetingRate: number;
  medianResponseHours: number | null;
  touchesPerLead: number;
}
export interface FunnelStage {
  stage: 'contacted' | 'replied' | 'meeting' | 'won';
  count: number;
  percent: number;
}
export interface Insight {
  rule: string;
  tone: 'warning' | 'positive' | 'info';
  text: string;
}
export interface RepBoard {
  userId: string;
  name: string;
  email: string | null;
  role: string | null;
  metrics: RepMetrics;
  score: number;
  funnel: FunnelStage[];
  insights: Insight[];
}
export interface Board {
  period: { from: string; to: string; days: number };
  team: { metrics: RepMetrics; previous: RepMetrics; funnel: FunnelStage[]; insights: Insight[] };
  reps: RepBoard[];
  coaching: { text: string; provider: string; model: string } | null;
  computedAt: string;
  cachedUntil: string;
  cached: boolean;
}

export function loadBoard(workspaceId: string, options: { days: number; to: string | null; refresh: boolean }): Promise<Board> {
  const to = options.to ? `&to=${encodeURIComponent(options.to)}` : '';
  return api.get<Board>(`${ws(workspaceId)}/salesboard?days=${options.days}${to}${options.refresh ? '&refresh=true' : ''}`);
}

export const STAGE_TITLES: Record<FunnelStage['stage'], string> = {
  contacted: 'Contacted',
  replied: 'Replied',
  meeting: 'Meeting',
  won: 'Won',
};
