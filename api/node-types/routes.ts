import { z } from 'zod';
import { inputPortsOf, outputPortsOf, type AnyNodeType } from '../../engine/node.js';
import type { NodeRegistry } from '../../engine/registry.js';
import { notFound, validationProblem } from '../http/problem.js';
import { defineRoute, problemSchema, type AnyRoute } from '../http/route.js';

const nodeTypeSchema = z
  .object({
    type: z.string(),
    family: z.string(),
    title: z.string(),
    description: z.string(),
    docs: z.string().nullable(),
    icon: z.string().nullable(),
    configSchema: z.record(z.string(), z.unknown()).describe('JSON Schema (draft 2020-12) of the config'),
    inputs: z.array(z.string()),
    outputs: z.array(z.string()).describe('Output ports for the default config; see dynamicOutputs'),
    dynamicOutputs: z.boolean().describe('Ports depend on the config: ask POST /node-types/{type}/ports'),
    sideEffects: z.boolean(),
    rawFields: z.array(z.string()).describe('Config fields without {{ }} templates'),
  })
  .meta({ id: 'NodeType' });

/** What the canvas needs to draw a palette and a config form. Computed once: node types are static. */
function describe(nodeType: AnyNodeType) {
  const defaults = nodeType.config.safeParse({});
  return {
    type: nodeType.type,
    family: nodeType.family,
    title: nodeType.title,
    description: nodeType.description,
    docs: nodeType.docs ?? null,
    icon: nodeType.icon ?? null,
    configSchema: z.toJSONSchema(nodeType.config, { unrepresentable: 'any', io: 'input' }) as Record<
      string,
      unknown
    >,
    inputs: [...inputPortsOf(nodeType)],
    outputs:
      typeof nodeType.outputs === 'function'
        ? defaults.success
          ? [...outputPortsOf(nodeType, defaults.data)]
          : []
        : [...outputPortsOf(nodeType, undefined)],
    dynamicOutputs: typeof nodeType.outputs === 'function',
    sideEffects: nodeType.sideEffects === true,
    rawFields: [...(nodeType.rawFields ?? [])],
  };
}

export function nodeTypeRoutes(registryOf: () => NodeRegistry): AnyRoute[] {
  let described: ReturnType<typeof describe>[] | undefined;
  const routes = [
    defineRoute({
      method: 'get',
      path: '/api/v1/node-types',
      summary: 'Every node type with its config JSON Schema, ports and docs',
      tags: ['node-types'],
      auth: 'user',
      responses: {
        200: { description: 'Node types', schema: z.object({ items: z.array(nodeTypeSchema) }) },
        401: { description: 'Not logged in', schema: problemSchema, contentType: 'application/problem+json' },
      },
      handler: () => ({ status: 200, body: { items: (described ??= registryOf().list().map(describe)) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/node-types/:type/ports',
      summary: 'The output ports of a node type for a given config (switch cases, ...)',
      tags: ['node-types'],
      auth: 'user',
      params: z.object({ type: z.string().min(1).max(100) }),
      body: z.object({ config: z.record(z.string(), z.unknown()).default({}) }),
      responses: {
        200: {
          description: 'Ports',
          schema: z.object({ inputs: z.array(z.string()), outputs: z.array(z.string()) }),
        },
        400: {
          description: 'Invalid config',
          schema: problemSchema,
          contentType: 'application/problem+json',
        },
        404: { description: 'Unknown type', schema: problemSchema, contentType: 'application/problem+json' },
      },
      handler: ({ params, body }) => {
        const nodeType = registryOf().get(params.type);
        if (!nodeType) throw notFound(`The node type "${params.type}"`);
        const parsed = nodeType.config.safeParse(body.config);
        if (!parsed.success) throw validationProblem('body.config', parsed.error);
        return {
          status: 200,
          body: { inputs: [...inputPortsOf(nodeType)], outputs: [...outputPortsOf(nodeType, parsed.data)] },
        };
      },
    }),
  ];
  return routes;
}
