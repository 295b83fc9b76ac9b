import { z } from 'zod';
import { truthy } from '../../engine/logic.js';
import { defineNode } from '../../engine/node.js';
import { jsonLogicRule } from '../schemas.js';

export const ifNode = defineNode({
  type: 'logic.if',
  family: 'logic',
  title: 'If',
  description: 'Sends its input to `true` or `false` depending on a condition.',
  docs: 'The condition is json-logic; `{"var": "input.amount"}` reads the input.',
  icon: 'git-branch',
  config: z.object({ condition: jsonLogicRule }),
  rawFields: ['condition'],
  outputs: ['true', 'false'],
  run: (ctx, input) => ctx.route(truthy(ctx.logic(ctx.config.condition)) ? 'true' : 'false', input),
});
