import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { AiProvider } from '../provider.js';
import { describeErrors, invalidOutput } from '../structured.js';
import { approximateTokens, usageOf } from '../text.js';
import { localClassify } from './classify.js';
import { localEmbed } from './embed.js';
import { localExtract } from './extract.js';
import { localGenerate, LOCAL_GENERATE_NOTICE } from './generate.js';
import { localSummarize } from './summarize.js';

export const LOCAL_MODEL = 'local-wink-1';
export const LOCAL_EMBEDDING_MODEL = 'local-hash-256';

/**
 * The `local` provider: offline and deterministic, on wink-nlp (English model), chrono-node,
 * compromise and libphonenumber-js. Token usage is the tokenizer approximation of text.ts.
 */
export function localProvider(now: () => Date = () => new Date()): AiProvider {
  return {
    id: 'local',
    async generate(_call, { prompt, system }) {
      const { text, unfilled } = localGenerate(prompt, system);
      const notice =
        unfilled.length > 0
          ? `${LOCAL_GENERATE_NOTICE} Not filled: ${unfilled.join(', ')}.`
          : LOCAL_GENERATE_NOTICE;
      return {
        text,
        notice,
        model: LOCAL_MODEL,
        usage: usageOf(approximateTokens(`${system ?? ''} ${prompt}`), approximateTokens(text)),
      };
    },
    async extract(_call, { text, schema }, validate: ValidateFunction) {
      const { data, missing } = localExtract(text, schema, now());
      const raw = JSON.stringify(data);
      if (!validate(data)) {
        const why = describeErrors(validate.errors);
        const unread = missing.length > 0 ? `; not found in the text: ${missing.join(', ')}` : '';
        throw invalidOutput('local provider', `${why}${unread}`, raw);
      }
      return {
        data,
        raw,
        missing,
        model: LOCAL_MODEL,
        usage: usageOf(approximateTokens(text), approximateTokens(raw)),
      };
    },
    async classify(_call, { text, categories, multiLabel }) {
      const result = localClassify(text, categories, multiLabel);
      return { ...result, model: LOCAL_MODEL, usage: usageOf(approximateTokens(text), result.labels.length) };
    },
    async summarize(_call, { text, maxSentences }) {
      const result = localSummarize(text, maxSentences);
      const out = `${result.summary} ${result.keyPoints.join(' ')}`;
      return {
        ...result,
        model: LOCAL_MODEL,
        usage: usageOf(approximateTokens(text), approximateTokens(out)),
      };
    },
    async embed(_call, { texts }) {
      return {
        vectors: texts.map(localEmbed),
        model: LOCAL_EMBEDDING_MODEL,
        usage: usageOf(
          texts.reduce((sum, text) => sum + approximateTokens(text), 0),
          0,
        ),
      };
    },
  };
}
