import type { Json, JsonObject } from '../../engine/json.js';
import type { AiCategory, AiJsonSchema, AiProviderId, AiUsage } from '../../nodes/ai/service.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';

/** One call as a provider gets it: the model chosen and the call's limits. */
export interface ProviderCall {
  workspaceId: string;
  model: string;
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

interface Answer {
  usage: AiUsage;
  /** The model that answered (an endpoint may name a more exact version). */
  model: string;
}

/** What the AI service asks of a provider; validation of structured output happens inside. */
export interface AiProvider {
  readonly id: AiProviderId;
  generate(
    call: ProviderCall,
    request: { prompt: string; system?: string },
  ): Promise<Answer & { text: string; notice?: string }>;
  extract(
    call: ProviderCall,
    request: { text: string; schema: AiJsonSchema; instructions?: string },
    validate: ValidateFunction,
  ): Promise<Answer & { data: Json; raw: string; missing?: string[] }>;
  classify(
    call: ProviderCall,
    request: { text: string; categories: AiCategory[]; multiLabel: boolean },
  ): Promise<Answer & { labels: string[]; scores: Record<string, number> }>;
  summarize(
    call: ProviderCall,
    request: { text: string; maxSentences: number },
  ): Promise<Answer & { summary: string; keyPoints: string[] }>;
  embed(call: ProviderCall, request: { texts: string[] }): Promise<Answer & { vectors: number[][] }>;
}

/** The structured answers the openai-compatible provider asks for (strict-mode compatible). */
export function classifySchema(categories: AiCategory[], multiLabel: boolean): JsonObject {
  const names = [...categories.map((c) => c.name), 'other'];
  return {
    type: 'object',
    properties: {
      labels: {
        type: 'array',
        items: { type: 'string', enum: names },
        ...(multiLabel ? {} : { maxItems: 1 }),
        minItems: 1,
        description: multiLabel
          ? 'Every category that applies, or ["other"]'
          : 'The one category that fits best, or ["other"]',
      },
      scores: {
        type: 'object',
        properties: Object.fromEntries(
          categories.map((c) => [c.name, { type: 'number', minimum: 0, maximum: 1 }]),
        ),
        required: categories.map((c) => c.name),
        additionalProperties: false,
        description: 'How well each category fits, 0 to 1',
      },
    },
    required: ['labels', 'scores'],
    additionalProperties: false,
  };
}

export const summarySchema: JsonObject = {
  type: 'object',
  properties: {
    summary: { type: 'string' },
    keyPoints: { type: 'array', items: { type: 'string' } },
  },
  required: ['summary', 'keyPoints'],
  additionalProperties: false,
};
