import { DomainError } from '../../engine/errors.js';
import type { AiUsage } from '../../nodes/ai/service.js';

/** What AI calls accept by default (REVFLOW_AI_MAX_INPUT_CHARS): a long email thread, not a book. */
export const DEFAULT_MAX_INPUT_CHARS = 100_000;

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0 controls but tab, newline and carriage return; DEL and the C1 block.
// eslint-disable-next-line no-control-regex
const controls = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/**
 * Text as a model (or the local provider) gets it: NUL and other control characters removed,
 * lone surrogates (not valid UTF-16, refused by JSON encoders upstream) replaced with U+FFFD,
 * and a clear error naming the field when it is longer than the deployment allows.
 */
export function cleanText(value: string, field: string, maxChars: number): string {
  if (value.length > maxChars)
    throw new DomainError(
      'too_large',
      'ai_input_too_large',
      `${field} has ${value.length.toLocaleString('en-US')} characters; AI calls take at most ${maxChars.toLocaleString('en-US')} (REVFLOW_AI_MAX_INPUT_CHARS)`,
      field,
      { limit: maxChars, length: value.length },
    );
  return value.replace(controls, '').replace(loneSurrogate, '\uFFFD');
}

/**
 * Tokens as a BPE tokenizer roughly counts them (about 4 characters of English per token):
 * each word costs one token per 4 letters started, each punctuation mark one. Used where the
 * provider reports no usage (the local provider, an endpoint without `usage`).
 */
export function approximateTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu)) {
    tokens += Math.ceil(match[0].length / 4);
  }
  return tokens;
}

export function usageOf(inputTokens: number, outputTokens: number): AiUsage {
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

export function addUsage(a: AiUsage, b: AiUsage): AiUsage {
  return usageOf(a.inputTokens + b.inputTokens, a.outputTokens + b.outputTokens);
}
