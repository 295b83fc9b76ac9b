import type { Knex } from 'knex';
import { z } from 'zod';
import { DomainError } from '../../engine/errors.js';
import { effectivePlan } from '../billing/accounts.js';
import { billingFor } from '../billing/hub.js';
import { cheapestPlanWith, getPlan } from '../billing/plans.js';
import { renderMarkdown } from '../releases/markdown.js';
import { documentKinds } from './fuse.js';
import type { DocumentRow, SourceLink } from './store.js';

/** Knowledge Fusion's plan gate and the shapes its routes answer with. */

export async function knowledgeEnabled(knex: Knex, workspaceId: string): Promise<boolean> {
  const account = await billingFor(knex).accounts.get(workspaceId);
  return getPlan(effectivePlan(account)).features.includes('knowledge_fusion');
}

export const requiredPlan = (): string => cheapestPlanWith('knowledge_fusion')?.id ?? 'professional';

export async function requireKnowledge(knex: Knex, workspaceId: string): Promise<void> {
  if (await knowledgeEnabled(knex, workspaceId)) return;
  throw new DomainError(
    'quota',
    'feature_gated',
    `Knowledge Fusion is part of the ${requiredPlan()} plan and above; upgrade to use it`,
    undefined,
    { feature: 'knowledge_fusion', requiredPlan: requiredPlan() },
  );
}

export const kindSchema = z.enum(documentKinds);

export const sectionOut = z.object({
  key: z.string(),
  heading: z.string(),
  markdown: z.string(),
  html: z.string().describe('Sanitised HTML (marked + sanitize-html)'),
  provider: z.string().describe('local, openai-compatible or human'),
  humanEdited: z.boolean(),
  editedBy: z.string().nullable(),
  updatedAt: z.string(),
  quotes: z.number().int(),
});

export const sourceOut = z.object({
  sourceType: z.enum(['call', 'email', 'run', 'text']),
  sourceRef: z.string(),
  label: z.string(),
  excerpt: z.string(),
});

export const documentOut = z.object({
  id: z.string(),
  kind: kindSchema,
  title: z.string(),
  competitor: z.string().nullable(),
  tags: z.array(z.string()),
  version: z.number().int(),
  provider: z.string(),
  generated: z.boolean(),
  markdown: z.string(),
  html: z.string(),
  sections: z.array(sectionOut),
  sources: z.array(sourceOut),
  views: z.object({ total: z.number().int(), viewers: z.number().int(), mine: z.number().int() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DocumentOut = z.infer<typeof documentOut>;

export function presentDocument(
  row: DocumentRow,
  sources: SourceLink[],
  views: { total: number; viewers: number; mine: number },
): DocumentOut {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    competitor: row.competitor,
    tags: row.tags,
    version: row.version,
    provider: row.provider,
    generated: row.topic_key !== null,
    markdown: row.body_md,
    html: renderMarkdown(row.body_md),
    sections: row.sections.map((s) => ({
      key: s.key,
      heading: s.heading,
      markdown: s.body,
      html: renderMarkdown(s.body),
      provider: s.provider,
      humanEdited: s.humanEdited,
      editedBy: s.editedBy,
      updatedAt: s.updatedAt,
      quotes: s.items.length,
    })),
    sources,
    views,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export async function viewTotals(
  knex: Knex,
  documentId: string,
  userId: string | null,
): Promise<{ total: number; viewers: number; mine: number }> {
  const row = await knex('knowledge_views')
    .where({ document_id: documentId })
    .first<{ total: string | null; viewers: string; mine: string | null }>(
      knex.raw('sum(count) AS total'),
      knex.raw('count(*) AS viewers'),
      knex.raw('sum(count) FILTER (WHERE user_id = ?) AS mine', [userId]),
    );
  return { total: Number(row?.total ?? 0), viewers: Number(row?.viewers ?? 0), mine: Number(row?.mine ?? 0) };
}
