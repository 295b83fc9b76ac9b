import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DomainError, notFoundError } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import type { WorkflowRepository } from '../db/workflow-repository.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { companionOf, ensureCompanion, startTestRun, type TestRunDeps } from './test-runs.js';

/**
 * A webhook trigger's test URL (issue 18): a request to it is captured as the trigger's pinned
 * data in the draft and starts a test run of the draft — listening for a test event. It never
 * reaches the production URL or its traffic. The URL carries a random token kept by the
 * workflow's hidden companion; members read it from the editor.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HIDDEN_HEADERS = new Set(['cookie', 'authorization', 'x-revflow-csrf']);

export function testHookRoutes(deps: TestRunDeps & { workflows: WorkflowRepository; publicUrl: string }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/workflows/:id/test-hook',
      summary: "The draft's test webhook URL: a request to it becomes the trigger's pinned data and a test run",
      tags: ['webhooks'],
      auth: { workspaceRole: 'member' },
      params: z.object({ workspaceId: z.string().uuid(), id: z.string().uuid() }),
      responses: { 200: { description: 'The test URL', schema: z.object({ url: z.string() }) }, ...problemResponses(401, 403, 404) },
      handler: async ({ workspace, params }) => {
        const workflow = await deps.service.get(workspace!.id, params.id);
        const companion = await ensureCompanion(deps.knex, workspace!.id, workflow.id, workflow.name, workflow.draft);
        let token = await tokenOf(deps, companion);
        if (!token) {
          token = randomBytes(24).toString('base64url');
          await deps.knex('workflows').where({ id: companion }).update({
            draft: deps.knex.raw(`jsonb_set(draft, '{testHookToken}', to_jsonb(?::text))`, [token]),
          });
        }
        return { status: 200, body: { url: `${deps.publicUrl}/api/v1/test-hooks/${companion}.${token}` } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/test-hooks/:token',
      summary: "Send a test event to a draft's webhook trigger (captured as pinned data, then test-run)",
      tags: ['webhooks'],
      auth: 'public',
      params: z.object({ token: z.string().min(10).max(200) }),
      body: z.unknown(),
      responses: {
        202: { description: 'Captured; the test run started', schema: z.object({ runId: z.string(), nodeId: z.string() }) },
        ...problemResponses(400, 404, 429),
      },
      handler: async ({ req, params, body }) => {
        const [companion = '', secret = ''] = params.token.split('.');
        if (!UUID.test(companion)) throw notFoundError('The test webhook');
        const row = await deps
          .knex('workflows')
          .where({ id: companion })
          .whereNotNull('deleted_at')
          .first<{ workspace_id: string; name: string } | undefined>('workspace_id', 'name');
        const expected = row ? await tokenOf(deps, companion) : undefined;
        if (!row || !expected || !sameText(expected, secret)) throw notFoundError('The test webhook');
        const workflowId = row.name.slice(row.name.indexOf(':') + 1);
        const workspaceId = row.workspace_id;
        if ((await companionOf(deps.knex, workspaceId, workflowId)) !== companion) throw notFoundError('The test webhook');
        const workflow = await deps.service.get(workspaceId, workflowId);
        const trigger = workflow.draft.nodes.find((n) => n.type === 'trigger.webhook');
        if (!trigger)
          throw new DomainError('conflict', 'no_webhook_trigger', 'The draft has no webhook trigger to capture the event');
        const headers = Object.fromEntries(
          Object.entries(req.headers)
            .filter(([name]) => !HIDDEN_HEADERS.has(name))
            .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]),
        );
        const captured = {
          method: req.method,
          path: typeof trigger.config.path === 'string' ? trigger.config.path : '',
          headers,
          query: req.query as Json,
          body: (body ?? null) as Json,
        } as Json;
        const draft = { ...workflow.draft, pinData: { ...workflow.draft.pinData, [trigger.id]: captured } };
        await deps.workflows.saveDraft(workflow.id, draft, { workspaceId });
        const run = await startTestRun(deps, workspaceId, workflow.id, { mode: 'workflow', fromLastRun: false });
        return { status: 202, body: { runId: run.id, nodeId: trigger.id } };
      },
    }),
  ];
}

async function tokenOf(deps: TestRunDeps, companion: string): Promise<string | undefined> {
  const row = await deps.knex('workflows').where({ id: companion }).first<{ token: string | null } | undefined>(
    deps.knex.raw(`draft->>'testHookToken' AS token`),
  );
  return row?.token ?? undefined;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
