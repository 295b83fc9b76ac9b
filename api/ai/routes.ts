import { z } from 'zod';
import { invalidInput } from '../../engine/errors.js';
import { audit, auditSource } from '../audit/audit.js';
import { billingFor } from '../billing/hub.js';
import { CredentialStore } from '../credentials/store.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { aiConfigFromEnv } from './config.js';
import { LOCAL_MODEL } from './local/provider.js';
import { AiSettingsStore } from './settings.js';

const workspaceParams = z.object({ workspaceId: z.uuid() });
const providerSchema = z.enum(['local', 'openai-compatible']);

const settingsBody = z
  .object({
    provider: providerSchema,
    model: z.string().trim().min(1).max(200).nullable().optional(),
    credentialId: z.uuid().nullable().optional(),
  })
  .meta({ id: 'AiSettingsChange' });

const settingsView = z
  .object({
    provider: providerSchema.describe('What AI nodes use unless they choose otherwise'),
    model: z.string().nullable(),
    credentialId: z.string().nullable(),
    source: z.enum(['workspace', 'deployment', 'builtin']).describe('Where the default comes from'),
    deployment: z.object({
      provider: providerSchema,
      model: z.string().nullable(),
      host: z.string().nullable().describe('LLM_BASE_URL host, when set'),
    }),
    usage: z.object({
      periodStart: z.string(),
      periodEnd: z.string(),
      generations: z.number().int(),
      limit: z.number().int().nullable(),
      calls: z.number().int(),
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
      totalTokens: z.number().int(),
    }),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'AiSettings' });

/**
 * A workspace's AI defaults: provider, model and endpoint credential (issue 12). Members read
 * them (and this period's AI usage); admins change them, audited.
 */
export function aiRoutes({ knex, secrets }: ApiContext): AnyRoute[] {
  const store = new AiSettingsStore(knex);
  const credentials = new CredentialStore(knex, secrets);
  const config = aiConfigFromEnv(process.env);
  const path = '/api/v1/workspaces/:workspaceId/ai/settings';

  const view = async (workspaceId: string): Promise<z.infer<typeof settingsView>> => {
    const saved = await store.get(workspaceId);
    const meters = await billingFor(knex).usage.usage(workspaceId);
    const generations = meters.find((meter) => meter.meter === 'ai_generations');
    const period = generations
      ? { start: new Date(generations.periodStart), end: new Date(generations.periodEnd) }
      : { start: new Date(0), end: new Date() };
    const totals = await store.totals(workspaceId, period);
    const deployment = {
      provider: config.endpoint ? ('openai-compatible' as const) : ('local' as const),
      model: config.endpoint ? (config.endpoint.model ?? null) : LOCAL_MODEL,
      host: config.endpoint ? new URL(config.endpoint.baseUrl).host : null,
    };
    return {
      provider: saved?.provider ?? deployment.provider,
      model: saved ? saved.model : deployment.model,
      credentialId: saved?.credentialId ?? null,
      source: saved ? 'workspace' : config.endpoint ? 'deployment' : 'builtin',
      deployment,
      usage: {
        periodStart: period.start.toISOString(),
        periodEnd: period.end.toISOString(),
        generations: generations?.used ?? 0,
        limit: generations?.limit ?? null,
        ...totals,
      },
      updatedAt: saved?.updatedAt ?? null,
    };
  };

  return [
    defineRoute({
      method: 'get',
      path,
      summary: "The workspace's AI provider, model and credential, and this period's AI usage",
      tags: ['ai'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      responses: {
        200: { description: 'AI settings', schema: settingsView },
        ...problemResponses(401, 403, 404),
      },
      handler: async ({ workspace }) => ({ status: 200, body: await view(workspaceScope(workspace).id) }),
    }),
    defineRoute({
      method: 'put',
      path,
      summary: "Set the workspace's default AI provider, model and credential (admins)",
      description:
        'openai-compatible needs an OpenAI-compatible credential of this workspace, or a deployment LLM_BASE_URL. ' +
        'AI nodes may still choose another provider, model or credential.',
      tags: ['ai'],
      auth: { workspaceRole: 'admin' },
      params: workspaceParams,
      body: settingsBody,
      responses: {
        200: { description: 'AI settings', schema: settingsView },
        ...problemResponses(400, 401, 403, 404),
      },
      handler: async ({ req, workspace, body, principal }) => {
        const scope = workspaceScope(workspace);
        const local = body.provider === 'local';
        const credentialId = local ? null : (body.credentialId ?? null);
        if (credentialId) {
          const row = await credentials.find(scope.id, credentialId);
          // Another workspace's credential is simply not there.
          if (!row) throw invalidInput('body.credentialId', 'No credential with this id in this workspace');
          if (row.type !== 'openaiCompatible')
            throw invalidInput(
              'body.credentialId',
              `This is a ${row.type} credential; choose an OpenAI-compatible one`,
            );
        } else if (!local && !config.endpoint) {
          throw invalidInput(
            'body.credentialId',
            'openai-compatible needs an OpenAI-compatible credential (this deployment sets no LLM_BASE_URL)',
          );
        }
        const saved = await store.put(
          scope.id,
          { provider: body.provider, model: local ? null : (body.model ?? null), credentialId },
          principal?.userId ?? null,
        );
        await audit(knex, {
          workspaceId: scope.id,
          ...auditSource(req, principal),
          action: 'ai.settings.update',
          target: { type: 'ai_settings', id: scope.id },
          metadata: { provider: saved.provider, model: saved.model, credentialId: saved.credentialId },
        });
        return { status: 200, body: await view(scope.id) };
      },
    }),
  ];
}
