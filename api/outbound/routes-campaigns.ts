import { z } from 'zod';
import { v5 as uuidv5 } from 'uuid';
import { conflictError, notFoundError } from '../../engine/errors.js';
import { startRunOnce } from '../events/start-once.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import type { OutboundApi } from './context.js';
import { presentCampaign } from './campaigns.js';
import { inboundEventSchema } from './inbound.js';
import { leadFilterSchema } from './routes-leads.js';

const base = '/api/v1/workspaces/:workspaceId/outbound';
const wsParams = z.object({ workspaceId: z.uuid() });
const campaignParams = wsParams.extend({
  campaignId: z.uuid().describe('The campaign id or its workflow id'),
});
const problems = problemResponses(400, 401, 403, 404);
const json = (description: string) => ({ 200: { description, schema: z.record(z.string(), z.unknown()) } });
/** Enrolment run ids derive from (workflow, lead): enrolling a lead twice starts one run. */
const RUN_NAMESPACE = '7f0c3c52-8a2e-4a51-9f3e-1f8a3e6b9d10';
export const MAX_ENROLL = 10_000;

/** Campaigns, enrolment, inbound events, settings and the lead score. */
export function campaignRoutes(ctx: ApiContext, outbound: OutboundApi): AnyRoute[] {
  const { service } = outbound;
  return [
    defineRoute({
      method: 'get',
      path: `${base}/campaigns`,
      summary: 'Campaigns (one per workflow with outbound steps) with their figures',
      tags: ['outbound'],
      auth: { workspaceRole: 'viewer' },
      params: wsParams,
      responses: { ...json('Campaigns'), ...problems },
      handler: async ({ workspace }) => {
        const workspaceId = workspaceScope(workspace).id;
        const rows = await service.campaigns.list(workspaceId);
        const items = await Promise.all(rows.map((row) => service.campaigns.stats(workspaceId, row)));
        return { status: 200, body: { items } };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/campaigns/:campaignId`,
      summary:
        'A campaign: per-variant sends, replies, reply rate with its 95% interval, posterior share, and the per-step funnel',
      tags: ['outbound'],
      auth: { workspaceRole: 'viewer' },
      params: campaignParams,
      responses: { ...json('The campaign and its figures'), ...problems },
      handler: async ({ workspace, params }) => {
        const workspaceId = workspaceScope(workspace).id;
        return {
          status: 200,
          body: await service.campaigns.stats(
            workspaceId,
            await service.campaigns.get(workspaceId, params.campaignId),
          ),
        };
      },
    }),
    defineRoute({
      method: 'patch',
      path: `${base}/campaigns/:campaignId`,
      summary: 'Pause, resume or archive a campaign (active campaigns count on the campaigns meter)',
      tags: ['outbound'],
      auth: { workspaceRole: 'member' },
      params: campaignParams,
      body: z.object({ status: z.enum(['active', 'paused', 'archived']) }),
      responses: { ...json('The campaign'), ...problemResponses(400, 401, 402, 403, 404, 409) },
      handler: async ({ workspace, params, body }) => ({
        status: 200,
        body: presentCampaign(
          await service.campaigns.setStatus(workspaceScope(workspace).id, params.campaignId, body.status),
        ),
      }),
    }),
    defineRoute({
      method: 'post',
      path: `${base}/campaigns/:campaignId/enroll`,
      summary: 'Enrol leads (by id or by filter) in a campaign workflow: one run per lead, once per lead',
      description:
        'The path names the workflow (or its campaign). Its active version (else the published one) must start with a ' +
        'Manual trigger followed by outbound.enroll; each lead gets a run with input `{ leadId }` under an id derived ' +
        `from the workflow and the lead, so enrolling twice starts nothing new. At most ${MAX_ENROLL.toLocaleString('en-US')} leads a call.`,
      tags: ['outbound'],
      auth: { workspaceRole: 'member' },
      params: campaignParams,
      body: z
        .object({
          leadIds: z.array(z.uuid()).max(MAX_ENROLL).optional(),
          filter: leadFilterSchema.optional(),
        })
        .refine((body) => body.leadIds !== undefined || body.filter !== undefined, {
          message: 'give leadIds or a filter',
          path: ['leadIds'],
        }),
      responses: {
        202: { description: 'The runs started' },
        ...problemResponses(400, 401, 402, 403, 404, 409),
      },
      handler: async ({ workspace, params, body }) => {
        const workspaceId = workspaceScope(workspace).id;
        const campaignRow = await ctx
          .knex('outbound_campaigns')
          .where({ workspace_id: workspaceId, id: params.campaignId })
          .first<{ workflow_id: string } | undefined>('workflow_id');
        const workflowId = campaignRow?.workflow_id ?? params.campaignId;
        const workflow = await ctx
          .knex('workflows')
          .where({ id: workflowId, workspace_id: workspaceId })
          .whereNull('deleted_at')
          .first<
            { id: string; active_version_id: string | null; published_version_id: string | null } | undefined
          >('id', 'active_version_id', 'published_version_id');
        if (!workflow) throw notFoundError('The campaign workflow');
        const versionId = workflow.active_version_id ?? workflow.published_version_id;
        if (!versionId)
          throw conflictError('Publish the campaign workflow before enrolling leads', 'not_published');
        const version = await ctx
          .knex('workflow_versions')
          .where({ id: versionId, workspace_id: workspaceId })
          .first<{ document: { nodes: Array<{ id: string; type: string }> } }>('document');
        const manual = version?.document.nodes.find((node) => node.type === 'trigger.manual');
        if (!manual)
          throw conflictError(
            'The campaign workflow needs a Manual trigger to enrol leads from a list',
            'no_manual_trigger',
          );
        if (!version?.document.nodes.some((node) => node.type === 'outbound.enroll'))
          throw conflictError('The campaign workflow has no outbound.enroll step', 'no_enroll_step');
        const ids = body.leadIds
          ? (
              await ctx
                .knex('outbound_leads')
                .where({ workspace_id: workspaceId })
                .whereIn('id', body.leadIds)
                .select('id')
            ).map((row: { id: string }) => row.id)
          : await service.leads.ids(workspaceId, body.filter ?? {}, MAX_ENROLL);
        const runtime = ctx.bundle.runtime;
        let started = 0;
        const runs: Array<{ leadId: string; runId: string; started: boolean }> = [];
        for (const leadId of ids) {
          const result = await startRunOnce(runtime, {
            id: uuidv5(`${workflow.id}:${leadId}`, RUN_NAMESPACE),
            workspaceId,
            workflowId: workflow.id,
            versionId,
            triggerNodeId: manual.id,
            input: { leadId },
          });
          if (result.started) started += 1;
          runs.push({ leadId, runId: result.runId, started: result.started });
        }
        await service.campaigns.forWorkflow(workspaceId, workflow.id);
        return { status: 202, body: { requested: ids.length, started, runs: runs.slice(0, 1000) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/events`,
      summary: 'Report a reply, bounce, unsubscribe, complaint or booked meeting',
      description:
        'What the signed inbound webhook (POST /hooks/outbound?workspace=<id>) accepts, for members and API keys. ' +
        'A reply is matched to its send by inReplyTo, then references, then `from`; it is classified (AI where ' +
        'available, else the documented rules), stops the sequence for that lead, rewards the variant when positive ' +
        'and becomes a platform event (outbound.replied, outbound.bounced, outbound.unsubscribed, outbound.complained, ' +
        'outbound.meeting_booked).',
      tags: ['outbound'],
      auth: { workspaceRole: 'member' },
      params: wsParams,
      body: inboundEventSchema,
      responses: { ...json('What the event matched and did'), ...problems },
      handler: async ({ workspace, body }) => ({
        status: 200,
        body: await outbound.inbound.process(workspaceScope(workspace).id, body),
      }),
    }),
    defineRoute({
      method: 'get',
      path: `${base}/settings`,
      summary: 'The inbound webhook URL and its signing secret (admins)',
      tags: ['outbound'],
      auth: { workspaceRole: 'admin' },
      params: wsParams,
      responses: { ...json('Settings'), ...problems },
      handler: async ({ workspace }) => {
        const workspaceId = workspaceScope(workspace).id;
        return {
          status: 200,
          body: {
            inboundUrl: `${outbound.publicUrl.replace(/\/$/, '')}/hooks/outbound?workspace=${workspaceId}`,
            signatureHeader: 'Revflow-Signature',
            secret: await outbound.keys.secret(workspaceId),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/settings/rotate-secret`,
      summary: 'Rotate the inbound signing secret (old unsubscribe links stop working too)',
      tags: ['outbound'],
      auth: { workspaceRole: 'admin' },
      params: wsParams,
      responses: { ...json('The new secret'), ...problems },
      handler: async ({ workspace }) => ({
        status: 200,
        body: { secret: await outbound.keys.rotate(workspaceScope(workspace).id) },
      }),
    }),
    defineRoute({
      method: 'get',
      path: `${base}/score`,
      summary: 'The lead-score model: how many outcomes it learned from and its strongest factors',
      tags: ['outbound'],
      auth: { workspaceRole: 'viewer' },
      params: wsParams,
      responses: { ...json('The model'), ...problems },
      handler: async ({ workspace }) => {
        const { model, examples } = await service.models.load(workspaceScope(workspace).id);
        const factors = Object.entries(model.w)
          .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
          .slice(0, 15)
          .map(([feature, weight]) => ({ feature, weight: Math.round(weight * 1000) / 1000 }));
        return { status: 200, body: { examples, factors } };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/score/retrain`,
      summary: 'Retrain the lead score from every recorded outcome and rescore all leads',
      tags: ['outbound'],
      auth: { workspaceRole: 'member' },
      params: wsParams,
      responses: { ...json('Examples learned and the test-then-train AUC'), ...problems },
      handler: async ({ workspace }) => ({
        status: 200,
        body: await service.models.retrain(workspaceScope(workspace).id),
      }),
    }),
  ];
}
