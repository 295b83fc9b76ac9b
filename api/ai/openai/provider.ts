import type { ValidateFunction } from 'ajv/dist/2020.js';
import { DomainError } from '../../../engine/errors.js';
import type { Json, JsonObject } from '../../../engine/json.js';
import type { AiUsage } from '../../../nodes/ai/service.js';
import { classifySchema, summarySchema, type AiProvider, type ProviderCall } from '../provider.js';
import { checkStructured, invalidOutput, strictCompatible, validatorFor } from '../structured.js';
import { addUsage, approximateTokens, usageOf } from '../text.js';
import { postJson, type ClientOptions, type Endpoint } from './client.js';

/**
 * The `openai-compatible` provider: Chat Completions (`POST {base}/chat/completions`) and
 * Embeddings (`POST {base}/embeddings`) as OpenAI documents them, which Ollama (`/v1`), vLLM,
 * LM Studio and most gateways also speak. Structured output asks for `response_format:
 * json_schema`; the answer is still checked with ajv, and a bad one gets one repair retry.
 */

interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

interface ChatAnswer {
  model?: unknown;
  choices?: Array<{ message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }>;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown };
}

export interface OpenAiSettings {
  endpoint: Endpoint;
  client: Omit<ClientOptions, 'workspaceId' | 'signal'>;
}

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;

function usageFrom(answer: ChatAnswer, messages: Message[], text: string): AiUsage {
  const input =
    count(answer.usage?.prompt_tokens) ?? approximateTokens(messages.map((m) => m.content).join('\n'));
  const output = count(answer.usage?.completion_tokens) ?? approximateTokens(text);
  return usageOf(input, output);
}

export function openAiProvider(settings: OpenAiSettings): AiProvider {
  const options = (call: ProviderCall): ClientOptions => ({
    ...settings.client,
    workspaceId: call.workspaceId,
    ...(call.signal && { signal: call.signal }),
  });

  async function chat(
    call: ProviderCall,
    messages: Message[],
    format?: { name: string; schema: JsonObject },
  ): Promise<{ text: string; usage: AiUsage; model: string }> {
    const body: Record<string, unknown> = { model: call.model, messages };
    if (call.temperature !== undefined) body.temperature = call.temperature;
    if (call.maxTokens !== undefined) body.max_tokens = call.maxTokens;
    if (format)
      body.response_format = {
        type: 'json_schema',
        json_schema: { name: format.name, schema: format.schema, strict: strictCompatible(format.schema) },
      };
    let answer: ChatAnswer;
    try {
      answer = (await postJson(settings.endpoint, 'chat/completions', body, options(call))) as ChatAnswer;
    } catch (error) {
      // An older server that does not know json_schema: ask again without it (the prompt asks for
      // JSON and the answer is validated all the same).
      if (
        !body.response_format ||
        !(error instanceof DomainError) ||
        error.code !== 'ai_request_rejected' ||
        !/response_format|json_schema/i.test(error.message)
      )
        throw error;
      delete body.response_format;
      answer = (await postJson(settings.endpoint, 'chat/completions', body, options(call))) as ChatAnswer;
    }
    const message = answer?.choices?.[0]?.message;
    if (typeof message?.refusal === 'string' && message.refusal)
      throw new DomainError('invalid', 'ai_refused', `The model refused: ${message.refusal.slice(0, 500)}`);
    if (!message || (typeof message.content !== 'string' && message.content !== null))
      throw new DomainError(
        'unavailable',
        'ai_bad_response',
        'The AI endpoint answered without choices[0].message.content',
      );
    const text = typeof message.content === 'string' ? message.content : '';
    return {
      text,
      usage: usageFrom(answer, messages, text),
      model: typeof answer.model === 'string' ? answer.model : call.model,
    };
  }

  /** Ask for JSON matching the schema; one repair turn with the validation error; then a clear failure. */
  async function structured(
    call: ProviderCall,
    messages: Message[],
    name: string,
    schema: JsonObject,
    validate: ValidateFunction,
  ): Promise<{ value: Json; raw: string; usage: AiUsage; model: string }> {
    const first = await chat(call, messages, { name, schema });
    const checked = checkStructured(first.text, validate);
    if (checked.ok) return { value: checked.value, raw: first.text, usage: first.usage, model: first.model };
    const repair = await chat(
      call,
      [
        ...messages,
        { role: 'assistant', content: first.text },
        {
          role: 'user',
          content: `That answer is not valid: ${checked.error}. Reply with only the corrected JSON object that matches the schema, with no prose and no code fences.`,
        },
      ],
      { name, schema },
    );
    const usage = addUsage(first.usage, repair.usage);
    const again = checkStructured(repair.text, validate);
    if (again.ok) return { value: again.value, raw: repair.text, usage, model: repair.model };
    throw invalidOutput('model', again.error, repair.text);
  }

  return {
    id: 'openai-compatible',
    async generate(call, { prompt, system }) {
      const messages: Message[] = [
        ...(system ? [{ role: 'system' as const, content: system }] : []),
        { role: 'user', content: prompt },
      ];
      return chat(call, messages);
    },
    async extract(call, { text, schema, instructions }, validate) {
      const messages: Message[] = [
        {
          role: 'system',
          content:
            'You extract facts from text into JSON. Reply with only a JSON object that matches the given JSON Schema. ' +
            'Use only what the text says; where the schema allows null or leaves a field optional and the text does not say, leave it out.' +
            (instructions ? `\n\n${instructions}` : '') +
            `\n\nJSON Schema:\n${JSON.stringify(schema)}`,
        },
        { role: 'user', content: text },
      ];
      const result = await structured(call, messages, 'extraction', schema, validate);
      return { data: result.value, raw: result.raw, usage: result.usage, model: result.model };
    },
    async classify(call, { text, categories, multiLabel }) {
      const schema = classifySchema(categories, multiLabel);
      const list = categories
        .map((c) => `- ${c.name}${c.description ? `: ${c.description}` : ''}`)
        .join('\n');
      const messages: Message[] = [
        {
          role: 'system',
          content:
            `Classify the user's text into ${multiLabel ? 'every category that applies' : 'exactly one category'} of:\n${list}\n` +
            '- other: none of the above\nReply with only JSON: {"labels": [...], "scores": {category: 0..1}}.',
        },
        { role: 'user', content: text },
      ];
      const result = await structured(call, messages, 'classification', schema, validatorFor(schema));
      const value = result.value as { labels: string[]; scores: Record<string, number> };
      return { labels: value.labels, scores: value.scores, usage: result.usage, model: result.model };
    },
    async summarize(call, { text, maxSentences }) {
      const messages: Message[] = [
        {
          role: 'system',
          content:
            `Summarise the user's text in at most ${maxSentences} sentences and list its key points (at most 5, short). ` +
            'Reply with only JSON: {"summary": "...", "keyPoints": ["..."]}.',
        },
        { role: 'user', content: text },
      ];
      const result = await structured(call, messages, 'summary', summarySchema, validatorFor(summarySchema));
      const value = result.value as { summary: string; keyPoints: string[] };
      return { summary: value.summary, keyPoints: value.keyPoints, usage: result.usage, model: result.model };
    },
    async embed(call, { texts }) {
      const model = call.model;
      const answer = (await postJson(
        settings.endpoint,
        'embeddings',
        { model, input: texts },
        options(call),
      )) as {
        data?: Array<{ embedding?: unknown; index?: unknown }>;
        model?: unknown;
        usage?: { prompt_tokens?: unknown };
      };
      const rows = Array.isArray(answer?.data) ? [...answer.data] : [];
      rows.sort((a, b) => (count(a.index) ?? 0) - (count(b.index) ?? 0));
      const vectors = rows.map((row) => row.embedding);
      if (
        vectors.length !== texts.length ||
        !vectors.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'))
      )
        throw new DomainError(
          'unavailable',
          'ai_bad_response',
          `The embeddings answer has ${vectors.length} vectors for ${texts.length} texts`,
        );
      const input =
        count(answer.usage?.prompt_tokens) ?? texts.reduce((sum, t) => sum + approximateTokens(t), 0);
      return {
        vectors: vectors,
        usage: usageOf(input, 0),
        model: typeof answer.model === 'string' ? answer.model : model,
      };
    },
  };
}
