import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import type { NodeContext } from '../../engine/node.js';
import { credentialRef } from '../credentials/service.js';
import { required } from '../services.js';
import type { AiCallOptions, AiMeta, AiService } from './service.js';

/** The provider settings every AI node has: empty means the workspace default (Team & settings → AI). */
export const aiOverrides = {
  provider: z
    .enum(['default', 'local', 'openai-compatible'])
    .default('default')
    .describe('default: the workspace setting; local: offline, no key'),
  model: z.string().trim().min(1).max(200).optional().describe('Default: the workspace or credential model'),
  credentialId: credentialRef(
    ['openaiCompatible'],
    'An OpenAI-compatible endpoint; default: the workspace one',
  ).optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).max(32_000).optional(),
};

type Overrides = {
  provider: 'default' | 'local' | 'openai-compatible';
  model?: string | undefined;
  credentialId?: string | undefined;
  temperature?: number | undefined;
  maxTokens?: number | undefined;
};

export function aiService<C>(ctx: NodeContext<C>): AiService {
  return required(ctx.services.ai, 'AI');
}

export function callOptions<C extends Overrides>(ctx: NodeContext<C>): AiCallOptions {
  const config = ctx.config;
  return {
    idempotencyKey: ctx.idempotencyKey,
    signal: ctx.signal,
    ...(config.provider !== 'default' && { provider: config.provider }),
    ...(config.model !== undefined && { model: config.model }),
    ...(config.credentialId !== undefined && { credentialId: config.credentialId }),
    ...(config.temperature !== undefined && { temperature: config.temperature }),
    ...(config.maxTokens !== undefined && { maxTokens: config.maxTokens }),
  };
}

/** What the run viewer shows of every AI step. */
export function metaOf(result: AiMeta): { provider: string; model: string; usage: Json; latencyMs: number } {
  return {
    provider: result.provider,
    model: result.model,
    usage: { ...result.usage },
    latencyMs: result.latencyMs,
  };
}

/** The text a node works on: its `text` setting, else the input (a string, a webhook body, or JSON). */
export function textOf(configured: string | undefined, input: Json): string {
  if (configured !== undefined) return configured;
  if (typeof input === 'string') return input;
  const body = input && typeof input === 'object' && !Array.isArray(input) ? input.body : undefined;
  const value = body ?? input;
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

export const textField = z
  .string()
  .max(10_000_000)
  .optional()
  .describe('Default: the input (a webhook body, as JSON); e.g. {{ input.body.message }}');
