import type { Json, JsonObject } from '../../engine/json.js';

/**
 * The AI layer as nodes and features reach it (DESIGN §9): `ctx.services.ai`. Every answer says
 * which provider and model served it and what it cost in tokens; each call is metered as
 * `ai_generations` (and tokens) against the workspace's plan by the implementation (api/ai).
 * Providers: `local` (offline, always there, deterministic) and `openai-compatible`.
 */
export type AiProviderId = 'local' | 'openai-compatible';

export interface AiUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface AiMeta {
  provider: AiProviderId;
  model: string;
  usage: AiUsage;
  latencyMs: number;
}

export interface AiCallOptions {
  /** Overrides the workspace default. */
  provider?: AiProviderId;
  model?: string;
  /** The sealed credential holding the endpoint's API key (openai-compatible). */
  credentialId?: string;
  temperature?: number;
  maxTokens?: number;
  /** The step's idempotency key: metering counts a retried step once. */
  idempotencyKey: string;
  /** A step that makes several AI calls numbers them (default 0): each is metered once under key + index. */
  callIndex?: number;
  signal?: AbortSignal;
}

export interface AiCategory {
  name: string;
  description?: string;
}

/** A JSON Schema (draft 2020-12 subset) for structured output. */
export type AiJsonSchema = JsonObject;

export interface AiService {
  generate(
    workspaceId: string,
    request: { prompt: string; system?: string },
    options: AiCallOptions,
  ): Promise<AiMeta & { text: string; notice?: string }>;
  /** A validated object; one repair retry, then a DomainError (code `ai_invalid_output`) showing the raw text. */
  extract(
    workspaceId: string,
    request: { text: string; schema: AiJsonSchema; instructions?: string },
    options: AiCallOptions,
  ): Promise<AiMeta & { data: Json; raw: string; missing?: string[] }>;
  classify(
    workspaceId: string,
    request: { text: string; categories: AiCategory[]; multiLabel: boolean },
    options: AiCallOptions,
  ): Promise<AiMeta & { labels: string[]; scores: Record<string, number> }>;
  summarize(
    workspaceId: string,
    request: { text: string; maxSentences?: number },
    options: AiCallOptions,
  ): Promise<AiMeta & { summary: string; keyPoints: string[] }>;
  /** Vectors where the provider has embeddings (local: a hashed bag of words). */
  embed(
    workspaceId: string,
    request: { texts: string[] },
    options: AiCallOptions,
  ): Promise<AiMeta & { vectors: number[][] }>;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    ai?: AiService;
  }
}
