import { z } from 'zod';
import type { Json } from '../engine/json.js';

/** A json-logic rule: any JSON value; evaluated by json-logic-js against the expression scope. */
export const jsonLogicRule = z
  .custom<Json>((value) => value !== undefined, { message: 'a json-logic condition is required' })
  .describe('json-logic condition')
  .meta({ format: 'json-logic' });
