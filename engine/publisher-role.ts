import { StepFailure } from './errors.js';
import type { Json } from './json.js';
import type { AnyNodeType, NodeContext, NodeResult } from './node.js';

/** Run a node type that `requiresRole`: the publisher's role is checked first, failing closed. */
export async function runWithPublisherRole(
  nodeType: AnyNodeType,
  ctx: NodeContext<unknown>,
  input: Json,
): Promise<NodeResult> {
  const role = nodeType.requiresRole;
  if (!role) return nodeType.run(ctx, input);
  const guard = ctx.services.publishers;
  if (!guard)
    throw new StepFailure(
      `${nodeType.type} needs a workspace ${role}, and this process cannot check who published the workflow`,
      'forbidden',
    );
  const publisher = await guard.require(ctx.run, ctx.node, role);
  return nodeType.run({ ...ctx, publisher }, input);
}
