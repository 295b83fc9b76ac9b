import { z } from 'zod';
import { notFoundError } from '../../engine/errors.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { categoriesOf, templateCatalog } from './catalog.js';

const templateSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    category: z.string(),
    nodeTypes: z.array(z.string()),
    triggers: z.array(z.string()),
    document: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'WorkflowTemplate' });

const categorySchema = z.object({ id: z.string(), title: z.string(), count: z.number().int() });

/** The templates gallery (issue 19): GET /api/v1/templates and one template by id. */
export function templateRoutes(_ctx: ApiContext): AnyRoute[] {
  const catalog = templateCatalog();
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/templates',
      summary: 'Workflow templates: categories, descriptions, the node types each uses, and the document',
      tags: ['templates'],
      auth: 'user',
      query: z.object({
        category: z.string().max(40).optional().describe('Only this category'),
        nodeType: z.string().max(100).optional().describe('Only templates that use this node type'),
      }),
      responses: {
        200: {
          description: 'Templates',
          schema: z.object({ items: z.array(templateSchema), categories: z.array(categorySchema) }),
        },
        ...problemResponses(400, 401),
      },
      handler: ({ query }) => {
        const items = catalog.filter(
          (template) =>
            (query.category === undefined || template.category === query.category) &&
            (query.nodeType === undefined || template.nodeTypes.includes(query.nodeType)),
        );
        return { status: 200, body: { items, categories: categoriesOf(catalog) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/templates/:templateId',
      summary: 'One workflow template',
      tags: ['templates'],
      auth: 'user',
      params: z.object({ templateId: z.string().min(1).max(100) }),
      responses: {
        200: { description: 'The template', schema: templateSchema },
        ...problemResponses(401, 404),
      },
      handler: ({ params }) => {
        const template = catalog.find((candidate) => candidate.id === params.templateId);
        if (!template)
          throw notFoundError(`The template "${params.templateId.slice(0, 100)}"`, 'template_not_found');
        return { status: 200, body: template };
      },
    }),
  ];
}
