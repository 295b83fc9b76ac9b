import type { AnyNodeType } from '../../engine/node.js';

/** AI Safety Console: guardrail nodes and the workspace safety policy. */
export const safetyNodeTypes: AnyNodeType[] = [];
