import { api, ws } from '../api/client.js';

/** The AI Safety Console's API (api/safety/routes.ts, api/audit/routes.ts). */
export const outboundKinds = ['email', 'http', 'chat', 'ai'] as const;
export type OutboundKind = (typeof outboundKinds)[number];
export const guardrailTypes = [
  'safety.pii',
  'safety.promptInjection',
  'safety.content',
  'safety.compliance',
  'safety.urls',
] as const;
export type GuardrailType = (typeof guardrailTypes)[number];

export const guardrailTitles: Record<GuardrailType, string> = {
  'safety.pii': 'PII',
  'safety.promptInjection': 'Prompt injection',
  'safety.content': 'Content',
  'safety.compliance': 'Email compliance',
  'safety.urls': 'Links',
};
export const kindTitles: Record<OutboundKind, string> = {
  email: 'Email',
  http: 'HTTP requests',
  chat: 'Chat messages',
  ai: 'AI generation',
};

export interface Requirement {
  type: GuardrailType;
  maxThreshold?: number;
  entities?: string[];
  minSensitivity?: 'low' | 'medium' | 'high';
}
export interface SafetyPolicy {
  rules: Partial<Record<OutboundKind, Requirement[]>>;
}
export interface SafetyStatus {
  enabled: boolean;
  plan: string;
  requiredPlan: string;
}
export interface Affected {
  workflowId: string;
  name: string;
  violations: Array<{ nodeId: string; kind: string; missing: string; path: string[] }>;
}
export interface Decision {
  id: string;
  runId: string | null;
  workflowId: string | null;
  nodeId: string;
  check: string;
  verdict: string;
  reason: string;
  entities: Record<string, number>;
  redactions: number;
  at: string;
}
export interface SafetyStats {
  days: Array<{ day: string; checks: number; blocks: number; redactions: number }>;
  byEntity: Array<{ entity: string; count: number }>;
  byWorkflow: Array<{
    workflowId: string | null;
    name: string | null;
    checks: number;
    blocks: number;
    redactions: number;
  }>;
  totals: { checks: number; blocks: number; redactions: number };
}
export interface ChainReport {
  ok: boolean;
  entries: number;
  unchained: number;
  headHash: string | null;
  brokenAt: { id: string; seq: number | null; action: string; reason: string } | null;
  verifiedAt: string;
}

const base = (workspaceId: string): string => `${ws(workspaceId)}/safety`;

export const safetyApi = {
  status: (id: string) => api.get<SafetyStatus>(`${base(id)}/status`),
  policy: (id: string) =>
    api.get<{ policy: SafetyPolicy; version: number; updatedAt: string | null }>(`${base(id)}/policy`),
  savePolicy: (id: string, policy: SafetyPolicy) =>
    api.put<{ policy: SafetyPolicy; version: number; affected: Affected[] }>(`${base(id)}/policy`, policy),
  affected: (id: string) => api.get<{ items: Affected[] }>(`${base(id)}/affected`),
  stats: (id: string, days: number) => api.get<SafetyStats>(`${base(id)}/stats?days=${days}`),
  violations: (id: string) => api.get<{ items: Decision[] }>(`${base(id)}/decisions?verdict=fail&limit=10`),
  search: (id: string, q: string) =>
    api.get<{ items: Decision[] }>(`${base(id)}/decisions?limit=25${q ? `&q=${encodeURIComponent(q)}` : ''}`),
  exportUrl: (id: string, format: 'csv' | 'json') => `${base(id)}/decisions/export?format=${format}`,
  verifyChain: (id: string) => api.get<ChainReport>(`${ws(id)}/audit-log/verify`),
};
