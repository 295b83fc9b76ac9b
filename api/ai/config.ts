import { z } from 'zod';

/**
 * The AI layer's deployment settings (DESIGN §2), read from the environment: the default
 * OpenAI-compatible endpoint (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL) and the client's limits.
 */
const schema = z.object({
  LLM_BASE_URL: z.string().url().optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  LLM_MODEL: z.string().min(1).max(200).optional(),
  LLM_EMBEDDING_MODEL: z.string().min(1).max(200).optional(),
  REVFLOW_AI_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  REVFLOW_AI_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  /** A Retry-After longer than this fails the call at once instead of holding the step. */
  REVFLOW_AI_MAX_RETRY_AFTER_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  REVFLOW_AI_MAX_INPUT_CHARS: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
});

export interface AiConfig {
  endpoint:
    | {
        baseUrl: string;
        apiKey: string | undefined;
        model: string | undefined;
        embeddingModel: string | undefined;
      }
    | undefined;
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfterMs: number;
  maxInputChars: number;
}

export function aiConfigFromEnv(env: NodeJS.ProcessEnv): AiConfig {
  const blankless = Object.fromEntries(
    Object.keys(schema.shape).map((key) => [key, env[key]?.trim() === '' ? undefined : env[key]?.trim()]),
  );
  const parsed = schema.safeParse(blankless);
  if (!parsed.success)
    throw new Error(
      `Bad AI configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const config = parsed.data;
  return {
    endpoint: config.LLM_BASE_URL
      ? {
          baseUrl: config.LLM_BASE_URL,
          apiKey: config.LLM_API_KEY,
          model: config.LLM_MODEL,
          embeddingModel: config.LLM_EMBEDDING_MODEL,
        }
      : undefined,
    timeoutMs: config.REVFLOW_AI_TIMEOUT_MS,
    maxRetries: config.REVFLOW_AI_MAX_RETRIES,
    maxRetryAfterMs: config.REVFLOW_AI_MAX_RETRY_AFTER_MS,
    maxInputChars: config.REVFLOW_AI_MAX_INPUT_CHARS,
  };
}
