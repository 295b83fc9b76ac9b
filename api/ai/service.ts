import type { Knex } from 'knex';
import { DomainError, invalidInput } from '../../engine/errors.js';
import type {
  AiCallOptions,
  AiCategory,
  AiMeta,
  AiProviderId,
  AiService,
  AiUsage,
} from '../../nodes/ai/service.js';
import { hostMatches } from '../../nodes/http/auth.js';
import type { CredentialsService, HttpService } from '../../nodes/services.js';
import { billingFor } from '../billing/hub.js';
import type { AiConfig } from './config.js';
import { LOCAL_EMBEDDING_MODEL, LOCAL_MODEL, localProvider } from './local/provider.js';
import { openAiProvider } from './openai/provider.js';
import type { AiProvider, ProviderCall } from './provider.js';
import { AiSettingsStore } from './settings.js';
import { validatorFor } from './structured.js';
import { cleanText } from './text.js';

export interface AiServiceDeps {
  knex: Knex;
  credentials: CredentialsService | undefined;
  http: HttpService | undefined;
  config: AiConfig;
  /** Tests: a clock for retry waits. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type Operation = 'generate' | 'extract' | 'classify' | 'summarize' | 'embed';

interface Route {
  provider: AiProvider;
  model: string;
}

const MAX_CATEGORIES = 50;
const MAX_TEXTS = 256;
// `other` is the no-fit label; the rest would be object keys with a meaning of their own.
const reservedNames = new Set(['other', '__proto__', 'constructor', 'prototype']);

/**
 * `ctx.services.ai` (DESIGN §9): picks the provider (the node's choice, else the workspace's
 * settings, else the deployment's LLM_BASE_URL, else local), cleans and caps the input, meters
 * the call as one `ai_generations` (refused past a hard limit, released if the call fails),
 * keeps its tokens and latency in ai_calls, and answers with provider, model, usage, latency.
 */
export function createAiService(deps: AiServiceDeps): AiService {
  const settings = new AiSettingsStore(deps.knex);
  const usage = billingFor(deps.knex).usage;
  const local = localProvider();
  const { config } = deps;
  const clean = (value: string, field: string): string => cleanText(value, field, config.maxInputChars);

  async function endpointFor(
    workspaceId: string,
    credentialId: string | undefined | null,
  ): Promise<{
    baseUrl: string;
    apiKey: string | undefined;
    model: string | undefined;
    embeddingModel: string | undefined;
  }> {
    if (credentialId) {
      if (!deps.credentials)
        throw new DomainError('unavailable', 'ai_not_configured', 'This process cannot open credentials');
      let resolved;
      try {
        resolved = await deps.credentials.resolve(workspaceId, credentialId);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'credential_not_found' || (error instanceof DomainError && error.kind === 'not_found'))
          throw new DomainError(
            'not_found',
            'credential_not_found',
            `The credential ${credentialId} does not exist in this workspace`,
            'credentialId',
          );
        throw error;
      }
      const secret = resolved.secret;
      if (secret.type !== 'openaiCompatible')
        throw invalidInput(
          'credentialId',
          `The credential is a ${secret.type} credential; the AI layer needs an OpenAI-compatible one`,
          'ai_wrong_credential',
        );
      // An admin typed the base URL into the credential; if they also bound it to hosts, those hold.
      if (resolved.hostsSource === 'credential' && resolved.allowedHosts && URL.canParse(secret.baseUrl)) {
        const url = new URL(secret.baseUrl);
        const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
        if (!hostMatches(resolved.allowedHosts, url.hostname, port))
          throw new DomainError(
            'forbidden',
            'credential_host',
            `The credential "${resolved.name}" may be sent only to ${resolved.allowedHosts.join(', ')}, not to ${url.host}`,
            'credentialId',
          );
      }
      return {
        baseUrl: secret.baseUrl,
        apiKey: secret.apiKey,
        model: secret.model,
        embeddingModel: secret.embeddingModel,
      };
    }
    if (config.endpoint) return config.endpoint;
    throw new DomainError(
      'invalid',
      'ai_not_configured',
      'The openai-compatible provider needs an endpoint: choose an OpenAI-compatible credential (Team & settings → AI, or on the node), or set LLM_BASE_URL',
      'credentialId',
    );
  }

  async function route(workspaceId: string, options: AiCallOptions, operation: Operation): Promise<Route> {
    const saved = await settings.get(workspaceId);
    const providerId: AiProviderId =
      options.provider ?? saved?.provider ?? (config.endpoint ? 'openai-compatible' : 'local');
    if (providerId === 'local')
      return { provider: local, model: operation === 'embed' ? LOCAL_EMBEDDING_MODEL : LOCAL_MODEL };
    if (!deps.http)
      throw new DomainError('unavailable', 'ai_not_configured', 'This process has no outbound HTTP service');
    // The node's credential, else the workspace's (only when the workspace chose this provider too).
    const credentialId =
      options.credentialId ?? (saved?.provider === 'openai-compatible' ? saved.credentialId : null);
    const endpoint = await endpointFor(workspaceId, credentialId);
    const chatModel =
      options.model ?? (saved?.provider === 'openai-compatible' ? saved.model : null) ?? endpoint.model;
    const model = operation === 'embed' ? (options.model ?? endpoint.embeddingModel ?? chatModel) : chatModel;
    if (!model)
      throw invalidInput(
        'model',
        'Name a model for the openai-compatible provider (on the node, in Team & settings → AI, on the credential, or LLM_MODEL)',
        'ai_no_model',
      );
    return {
      provider: openAiProvider({
        endpoint: { baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey },
        client: {
          http: deps.http,
          timeoutMs: config.timeoutMs,
          maxRetries: config.maxRetries,
          maxRetryAfterMs: config.maxRetryAfterMs,
          ...(deps.sleep && { sleep: deps.sleep }),
        },
      }),
      model,
    };
  }

  async function metered<T extends { usage: AiUsage; model: string }>(
    operation: Operation,
    workspaceId: string,
    options: AiCallOptions,
    call: (provider: AiProvider, providerCall: ProviderCall) => Promise<T>,
  ): Promise<Omit<T, 'usage' | 'model'> & AiMeta> {
    if (!options.idempotencyKey)
      throw invalidInput('idempotencyKey', 'AI calls need the step idempotency key');
    const { provider, model } = await route(workspaceId, options, operation);
    const key = `ai:${options.idempotencyKey}:${options.callIndex ?? 0}`.slice(0, 300);
    // Refused past a hard limit (QuotaExceeded names the limit and the plan); a retried step's key counts once.
    const { counted } = await usage.record(
      workspaceId,
      { meter: 'ai_generations', quantity: 1, idempotencyKey: key, source: 'ai' },
      { enforce: true },
    );
    const started = performance.now();
    let result: T;
    try {
      result = await call(provider, {
        workspaceId,
        model,
        ...(options.temperature !== undefined && { temperature: options.temperature }),
        ...(options.maxTokens !== undefined && { maxTokens: options.maxTokens }),
        ...(options.signal && { signal: options.signal }),
      });
    } catch (error) {
      // What was not done is not billed.
      if (counted) await usage.release(workspaceId, key);
      throw error;
    }
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    await settings.recordCall(workspaceId, {
      key,
      operation,
      provider: provider.id,
      model: result.model,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      latencyMs,
    });
    return { ...result, provider: provider.id, model: result.model, usage: result.usage, latencyMs };
  }

  function categoriesOf(categories: AiCategory[]): AiCategory[] {
    if (categories.length === 0 || categories.length > MAX_CATEGORIES)
      throw invalidInput('categories', `Give 1 to ${MAX_CATEGORIES} categories`);
    const names = new Set<string>();
    return categories.map((category, index) => {
      const name = clean(category.name, `categories.${index}.name`).trim();
      if (!name || name.length > 100 || reservedNames.has(name) || names.has(name))
        throw invalidInput(
          `categories.${index}.name`,
          'Category names are 1 to 100 characters, unique, and not "other"',
        );
      names.add(name);
      return {
        name,
        ...(category.description !== undefined && {
          description: clean(category.description, `categories.${index}.description`),
        }),
      };
    });
  }

  return {
    generate: async (workspaceId, request, options) => {
      const prompt = clean(request.prompt, 'prompt');
      const system = request.system === undefined ? undefined : clean(request.system, 'system');
      if (prompt.trim() === '') throw invalidInput('prompt', 'The prompt is empty');
      return metered('generate', workspaceId, options, (provider, call) =>
        provider.generate(call, { prompt, ...(system !== undefined && { system }) }),
      );
    },
    extract: async (workspaceId, request, options) => {
      const text = clean(request.text, 'text');
      const validate = validatorFor(request.schema);
      const instructions =
        request.instructions === undefined ? undefined : clean(request.instructions, 'instructions');
      return metered('extract', workspaceId, options, (provider, call) =>
        provider.extract(
          call,
          { text, schema: request.schema, ...(instructions !== undefined && { instructions }) },
          validate,
        ),
      );
    },
    classify: async (workspaceId, request, options) => {
      const text = clean(request.text, 'text');
      const categories = categoriesOf(request.categories);
      return metered('classify', workspaceId, options, (provider, call) =>
        provider.classify(call, { text, categories, multiLabel: request.multiLabel }),
      );
    },
    summarize: async (workspaceId, request, options) => {
      const text = clean(request.text, 'text');
      const maxSentences = request.maxSentences ?? 3;
      if (!Number.isInteger(maxSentences) || maxSentences < 1 || maxSentences > 20)
        throw invalidInput('maxSentences', 'maxSentences is a whole number from 1 to 20');
      return metered('summarize', workspaceId, options, (provider, call) =>
        provider.summarize(call, { text, maxSentences }),
      );
    },
    embed: async (workspaceId, request, options) => {
      if (request.texts.length === 0 || request.texts.length > MAX_TEXTS)
        throw invalidInput('texts', `Embed 1 to ${MAX_TEXTS} texts at a time`);
      const texts = request.texts.map((text, index) => clean(text, `texts.${index}`));
      const total = texts.reduce((sum, text) => sum + text.length, 0);
      if (total > config.maxInputChars) clean('x'.repeat(total), 'texts');
      return metered('embed', workspaceId, options, (provider, call) => provider.embed(call, { texts }));
    },
  };
}
