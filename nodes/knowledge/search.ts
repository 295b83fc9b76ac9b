import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { required } from '../services.js';

export const knowledgeSearchNode = defineNode({
  type: 'knowledge.search',
  family: 'ai',
  title: 'Knowledge: search',
  description:
    'Finds documents in the knowledge library (full text, ranked) — e.g. the objection handler for a reply draft.',
  docs:
    '`query` takes web-search syntax ("quoted phrase", OR, -word). Routes to `found` with `top` (the best document ' +
    'with its markdown and a snippet) and `hits`, or to `none`. Filters: kind, competitor, tag. Professional plan and above.',
  icon: 'search',
  config: z.object({
    query: z.string().min(1).max(500).describe('e.g. {{ input.body.objection }}'),
    kind: z.enum(['battle_card', 'playbook', 'objection_handler', 'faq']).optional(),
    competitor: z.string().max(80).optional(),
    tag: z.string().max(40).optional(),
    limit: z.number().int().min(1).max(20).default(3),
  }),
  outputs: ['found', 'none'],
  run: async (ctx) => {
    const knowledge = required(ctx.services.knowledge, 'knowledge');
    const { query, kind, competitor, tag, limit } = ctx.config;
    const hits = await knowledge.search(ctx.run.workspaceId, {
      q: query,
      limit,
      ...(kind && { kind }),
      ...(competitor && { competitor }),
      ...(tag && { tag }),
    });
    const items = hits.map((hit) => ({ ...hit, tags: [...hit.tags] }));
    return ctx.route(items.length > 0 ? 'found' : 'none', { query, top: items[0] ?? null, hits: items });
  },
});
