import { z } from 'zod';
import { DomainError, notFoundError } from '../../engine/errors.js';
import { leadStatuses } from '../../nodes/outbound/service.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import type { OutboundApi } from './context.js';
import { leadsToCsv, mappingSchema, mapRows, parseCsv, suggestMapping, type RowError } from './csv.js';
import { leadInputSchema, suppressionReasons } from './leads.js';

const base = '/api/v1/workspaces/:workspaceId/outbound';
const wsParams = z.object({ workspaceId: z.uuid() });
const leadParams = wsParams.extend({ leadId: z.uuid() });
const problems = problemResponses(400, 401, 403, 404);
const json = (description: string) => ({ 200: { description, schema: z.record(z.string(), z.unknown()) } });

export const leadFilterSchema = z.object({
  q: z.string().max(200).optional(),
  status: z.enum(leadStatuses).optional(),
  company: z.string().max(200).optional(),
  minScore: z.coerce.number().int().min(0).max(100).optional(),
  ownerId: z.uuid().optional(),
});

const csvBody = z.object({
  csv: z.string().min(1).max(20_000_000).describe('The CSV text (UTF-8), header row first'),
  mapping: mappingSchema.optional().describe('CSV column → lead field, attributes.<name> or ignore'),
});

/** Leads, CSV import/export and the suppression list. */
export function leadRoutes(outbound: OutboundApi): AnyRoute[] {
  const { service } = outbound;
  return [
    defineRoute({
      method: 'get',
      path: `${base}/leads`,
      summary: 'List leads (filters: q, status, company, minScore, ownerId)',
      tags: ['outbound'],
      auth: { workspaceRole: 'viewer' },
      params: wsParams,
      query: leadFilterSchema.extend({
        limit: z.coerce.number().int().min(1).max(500).default(50),
        offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
      }),
      responses: { ...json('Leads and the total that match'), ...problems },
      handler: async ({ workspace, query }) => ({
        status: 200,
        body: await service.leads.list(workspaceScope(workspace).id, query),
      }),
    }),
    defineRoute({
      method: 'post',
      path: `${base}/leads`,
      summary: 'Create a lead, or merge into the lead with that email',
      description:
        "A new email counts on the `leads` meter: past the plan's limit this answers 402 with the plan's message.",
      tags: ['outbound'],
      auth: { workspaceRole: 'member' },
      params: wsParams,
      body: leadInputSchema.extend({ mergeRule: z.enum(['fill', 'overwrite']).default('fill') }),
      responses: {
        201: { description: 'Created' },
        ...json('Merged into an existing lead'),
        ...problemResponses(400, 401, 402, 403, 404),
      },
      handler: async ({ workspace, body }) => {
        const { mergeRule, ...input } = body;
        const result = await service.leads.upsert(workspaceScope(workspace).id, input, mergeRule);
        return { status: result.created ? 201 : 200, body: result };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/leads/export`,
      summary: 'Export the leads that match the filters as CSV (formula cells escaped)',
      tags: ['outbound'],
      auth: { workspaceRole: 'viewer' },
      params: wsParams,
      query: leadFilterSchema,
      responses: { 200: { description: 'CSV', schema: z.string(), contentType: 'text/csv' }, ...problems },
      handler: async ({ workspace, query, res }) => {
        const leads = await service.leads.all(workspaceScope(workspace).id, query);
        res.set('Content-Type', 'text/csv; charset=utf-8');
        res.set('Content-Disposition', 'attachment; filename="leads.csv"');
        res.set('X-Content-Type-Options', 'nosniff');
        res.status(200).send(leadsToCsv(leads));
        return undefined;
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/leads/import/preview`,
      summary: 'Preview a CSV import: columns, a suggested mapping, the first rows and every row error',
      tags: ['outbound'],
      auth: { workspaceRole: 'member' },
      params: wsParams,
      body: csvBody,
      responses: { ...json('The preview; nothing is stored'), ...problems },
      handler: ({ body }) => {
        const parsed = parseCsv(body.csv);
        const mapping = body.mapping ?? suggestMapping(parsed.columns);
        const rows = mapRows(parsed, mapping);
        return {
          status: 200,
          body: {
            columns: parsed.columns,
            mapping,
            total: rows.length,
            valid: rows.filter((row) => row.lead).length,
            rows: rows
              .slice(0, 20)
              .map((row) => ({ row: row.row, lead: row.lead ?? null, duplicateOf: row.duplicateOf ?? null })),
            errors: rows.flatMap((row) => row.errors).slice(0, 1000),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/leads/import`,
      summary: 'Import leads from CSV with a mapping; a repeated email merges by the merge rule',
      description:
        'Answers how many leads were created, merged and skipped, and every row that was not imported with its ' +
        "row number, field and reason. Rows past the plan's lead limit fail with the plan's message.",
      tags: ['outbound'],
      auth: { workspaceRole: 'member' },
      params: wsParams,
      body: csvBody.extend({
        mapping: mappingSchema,
        mergeRule: z.enum(['fill', 'overwrite', 'skip']).default('fill'),
      }),
      responses: { ...json('What was imported and the rows that were not'), ...problems },
      handler: async ({ workspace, body }) => {
        const workspaceId = workspaceScope(workspace).id;
        const rows = mapRows(parseCsv(body.csv), body.mapping);
        const errors: RowError[] = rows.flatMap((row) => row.errors);
        let created = 0;
        let merged = 0;
        let unchanged = 0;
        for (const row of rows) {
          if (!row.lead) continue;
          try {
            const result = await service.leads.upsert(workspaceId, row.lead, body.mergeRule);
            if (result.created) created += 1;
            else if (result.merged) merged += 1;
            else unchanged += 1;
          } catch (error) {
            // A row the domain refuses (the plan's lead limit, an owner who is no member) is that row's error.
            if (!(error instanceof DomainError)) throw error;
            errors.push({ row: row.row, field: error.field ?? 'row', message: error.message });
          }
        }
        return {
          status: 200,
          body: {
            total: rows.length,
            created,
            merged,
            unchanged,
            failed: errors.length,
            errors: errors.slice(0, 5000),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/leads/:leadId`,
      summary: 'A lead with its timeline (sends, replies, events), enrolments and score factors',
      tags: ['outbound'],
      auth: { workspaceRole: 'viewer' },
      params: leadParams,
      responses: { ...json('The lead'), ...problems },
      handler: async ({ workspace, params }) => {
        const workspaceId = workspaceScope(workspace).id;
        const row = await service.leads.row(workspaceId, params.leadId);
        const [timeline, sends, enrollments, score] = await Promise.all([
          service.timeline(workspaceId, row.id),
          service.sendsOf(workspaceId, row.id),
          service.enrollmentsOf(workspaceId, row.id),
          service.models.score(workspaceId, row),
        ]);
        return {
          status: 200,
          body: { lead: await service.leads.get(workspaceId, row.id), timeline, sends, enrollments, score },
        };
      },
    }),
    defineRoute({
      method: 'patch',
      path: `${base}/leads/:leadId`,
      summary: "Change a lead's fields, status, owner or attributes",
      tags: ['outbound'],
      auth: { workspaceRole: 'member' },
      params: leadParams,
      body: leadInputSchema.partial(),
      responses: { ...json('The lead'), ...problemResponses(400, 401, 403, 404, 409) },
      handler: async ({ workspace, params, body }) => {
        const workspaceId = workspaceScope(workspace).id;
        const lead = await service.updateLead(workspaceId, params.leadId, {
          ...(body.status && { status: body.status }),
          ...(body.ownerId !== undefined && { ownerId: body.ownerId }),
          ...(body.attributes && { attributes: body.attributes }),
        });
        const rest = { ...body, status: undefined, ownerId: undefined, attributes: undefined };
        const updated = Object.values(rest).some((value) => value !== undefined)
          ? await service.leads.update(workspaceId, params.leadId, rest)
          : lead;
        return { status: 200, body: updated };
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/leads/:leadId`,
      summary: 'Delete a lead (its sends and timeline go with it)',
      tags: ['outbound'],
      auth: { workspaceRole: 'admin' },
      params: leadParams,
      responses: { 204: { description: 'Deleted' }, ...problems },
      handler: async ({ workspace, params }) => {
        await service.leads.remove(workspaceScope(workspace).id, params.leadId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/suppressions`,
      summary: 'The suppression list: addresses never mailed (unsubscribed, bounced, complained, manual)',
      tags: ['outbound'],
      auth: { workspaceRole: 'viewer' },
      params: wsParams,
      query: z.object({
        q: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
        offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
      }),
      responses: { ...json('Suppressed addresses'), ...problems },
      handler: async ({ workspace, query }) => ({
        status: 200,
        body: { items: await service.leads.suppressions(workspaceScope(workspace).id, query) },
      }),
    }),
    defineRoute({
      method: 'post',
      path: `${base}/suppressions`,
      summary: 'Suppress an address (it is never mailed again)',
      tags: ['outbound'],
      auth: { workspaceRole: 'member' },
      params: wsParams,
      body: z.object({
        email: z.string().max(320),
        reason: z.enum(suppressionReasons).default('manual'),
        note: z.string().max(500).optional(),
      }),
      responses: { 201: { description: 'Suppressed' }, ...problems },
      handler: async ({ workspace, body }) => {
        const workspaceId = workspaceScope(workspace).id;
        await service.leads.suppress(workspaceId, body.email, body.reason, body.note);
        const stopped = await service.stopLeadByEmail(workspaceId, body.email);
        return {
          status: 201,
          body: { email: body.email.trim().toLowerCase(), reason: body.reason, stoppedEnrollments: stopped },
        };
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/suppressions/:email`,
      summary: 'Take an address off the suppression list (admins: it may be mailed again)',
      tags: ['outbound'],
      auth: { workspaceRole: 'admin' },
      params: wsParams.extend({ email: z.string().min(3).max(320) }),
      responses: { 204: { description: 'Removed' }, ...problems },
      handler: async ({ workspace, params }) => {
        const removed = await service.leads.unsuppress(workspaceScope(workspace).id, params.email);
        if (!removed) throw notFoundError('That suppressed address');
        return { status: 204 };
      },
    }),
  ];
}
