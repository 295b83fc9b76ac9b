import type { NodeServices } from '../../engine/node.js';
import type { KnowledgeService } from '../../nodes/knowledge/service.js';
import type { FeatureServiceDeps } from '../services.js';
import { generateKnowledge } from './generate.js';
import { searchDocuments } from './search.js';
import { KnowledgeStore } from './store.js';
import { requireKnowledge } from './views.js';

/** What the knowledge feature adds to ctx.services: generation and search, behind the plan gate. */
export function knowledgeNodeServices(deps: FeatureServiceDeps): Partial<NodeServices> {
  const { knex } = deps;
  const store = new KnowledgeStore(knex);
  const knowledge: KnowledgeService = {
    generate: async (workspaceId, request) => {
      await requireKnowledge(knex, workspaceId);
      return generateKnowledge({ knex, ai: deps.services.ai, env: deps.env }, workspaceId, request);
    },
    search: async (workspaceId, request) => {
      await requireKnowledge(knex, workspaceId);
      const { items } = await searchDocuments(knex, workspaceId, { ...request, offset: 0 });
      const out = [];
      for (const hit of items) {
        const row = await store.get(workspaceId, hit.id);
        out.push({
          id: hit.id,
          kind: hit.kind,
          title: hit.title,
          competitor: hit.competitor,
          tags: hit.tags,
          rank: hit.rank,
          snippet: hit.snippet
            .map((run) => run.text)
            .join('')
            .trim(),
          markdown: row.body_md,
        });
      }
      return out;
    },
  };
  return { knowledge };
}
