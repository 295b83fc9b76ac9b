import { z } from 'zod';
import { invalidInput } from '../../../engine/errors.js';
import { workflowSchema } from '../schemas.js';
import { importN8nWorkflow } from './mapper.js';
import type { ImportReport } from './types.js';

export { importN8nWorkflow, IMPORT_LIMITS, MAPPERS } from './mapper.js';
export type { ImportReport, NodeReport } from './types.js';

export type ImportFormat = 'revflow' | 'n8n';

/**
 * Tell our document from an n8n export by shape: ours has `schemaVersion` and `edges`; n8n's has
 * `connections` keyed by node name and nodes with a `typeVersion` or an `n8n-nodes-base.` type.
 */
export function detectFormat(body: unknown): ImportFormat {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'revflow';
  const record = body as Record<string, unknown>;
  if ('schemaVersion' in record || 'edges' in record) return 'revflow';
  if (!Array.isArray(record.nodes)) return 'revflow';
  const n8nNode = (node: unknown): boolean =>
    node !== null &&
    typeof node === 'object' &&
    ('typeVersion' in node ||
      ('type' in node && typeof node.type === 'string' && /^(n8n-nodes-|@n8n\/)/.test(node.type)));
  return 'connections' in record || record.nodes.some(n8nNode) ? 'n8n' : 'revflow';
}

/** What the import route saves: the document as given, or the n8n export mapped with its report. */
export function prepareImport(body: unknown): { document: unknown; report: ImportReport | null } {
  if (Array.isArray(body)) {
    if (body.length === 1) return prepareImport(body[0]);
    throw invalidInput('document', 'import one workflow at a time (this file holds a list)');
  }
  if (detectFormat(body) === 'revflow') return { document: body, report: null };
  const { document, report } = importN8nWorkflow(body);
  return { document, report };
}

/** The report as the import route answers it (OpenAPI). */
export const importReportSchema = z
  .object({
    source: z.literal('n8n'),
    workflowName: z.string(),
    summary: z.object({
      nodes: z.number().int(),
      mapped: z.number().int(),
      partial: z.number().int(),
      unmapped: z.number().int(),
      stickyNotes: z.number().int(),
    }),
    nodes: z.array(
      z.object({
        name: z.string(),
        n8nType: z.string(),
        typeVersion: z.number(),
        id: z.string(),
        type: z.string(),
        status: z.enum(['mapped', 'partial', 'unmapped']),
        reasons: z.array(z.string()),
        todo: z.array(z.string()),
        helpers: z.array(z.string()),
      }),
    ),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'ImportReport', description: 'What became of each n8n node (issue 19)' });

/** The import route's answer: the workflow, and for an n8n file the report (null for our own documents). */
export const importedWorkflowSchema = workflowSchema
  .extend({ importReport: importReportSchema.nullable() })
  .meta({ id: 'ImportedWorkflow' });
