import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { evaluateLogic, truthy } from '../../engine/logic.js';
import { defineNode } from '../../engine/node.js';
import { jsonLogicRule } from '../schemas.js';

export const filterNode = defineNode({
  type: 'logic.filter',
  family: 'logic',
  title: 'Filter',
  description: 'Keeps the items of a list that match a condition.',
  docs:
    'The list is `items` (e.g. `{{ input.deals }}`) or else the input itself. The json-logic condition runs once ' +
    'per item and sees the item as `input` (`{"var": "input.amount"}`); trigger, nodes and vars are as usual. ' +
    'The output is the list of kept items, in order.',
  icon: 'filter',
  config: z.object({
    items: z.unknown().optional().describe('The list to filter; default: the input'),
    condition: jsonLogicRule,
  }),
  rawFields: ['condition'],
  run: (ctx, input) => {
    const items = (ctx.config.items === undefined ? input : ctx.config.items) as Json;
    if (!Array.isArray(items)) {
      throw new StepFailure(
        `Filter needs a list, got ${items === null ? 'null' : typeof items}`,
        'invalid_input',
        'config.items',
      );
    }
    return items.filter((item) => truthy(evaluateLogic(ctx.config.condition, { ...ctx.scope, input: item })));
  },
});
