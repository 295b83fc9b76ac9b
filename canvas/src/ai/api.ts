import { api, ws } from '../api/client.js';

/** The workspace's AI settings as GET/PUT /ai/settings answer them (api/ai/routes.ts). */
export type AiProvider = 'local' | 'openai-compatible';

export interface AiSettings {
  provider: AiProvider;
  model: string | null;
  credentialId: string | null;
  source: 'workspace' | 'deployment' | 'builtin';
  deployment: { provider: AiProvider; model: string | null; host: string | null };
  usage: {
    periodStart: string;
    periodEnd: string;
    generations: number;
    limit: number | null;
    calls: number;
    inputTokens: number;
    outputTokens: number;
    totalTokens: number;
  };
  updatedAt: string | null;
}

export const aiSettingsPath = (workspaceId: string): string => `${ws(workspaceId)}/ai/settings`;

export const loadAiSettings = (workspaceId: string): Promise<AiSettings> =>
  api.get<AiSettings>(aiSettingsPath(workspaceId));

export const saveAiSettings = (
  workspaceId: string,
  change: { provider: AiProvider; model: string | null; credentialId: string | null },
): Promise<AiSettings> => api.put<AiSettings>(aiSettingsPath(workspaceId), change);

/** What an AI step's output carries (nodes/ai/options.ts metaOf), if it is one. */
export interface AiStepMeta {
  provider: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  latencyMs: number;
}

export function aiMetaOf(output: unknown): AiStepMeta | undefined {
  if (!output || typeof output !== 'object' || Array.isArray(output)) return undefined;
  const o = output as Record<string, unknown>;
  const usage = o.usage as Record<string, unknown> | undefined;
  if (typeof o.provider !== 'string' || typeof o.model !== 'string' || !usage || typeof usage !== 'object')
    return undefined;
  const n = (value: unknown): number => (typeof value === 'number' ? value : 0);
  return {
    provider: o.provider,
    model: o.model,
    usage: {
      inputTokens: n(usage.inputTokens),
      outputTokens: n(usage.outputTokens),
      totalTokens: n(usage.totalTokens),
    },
    latencyMs: n(o.latencyMs),
  };
}
