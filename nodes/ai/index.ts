import type { AnyNodeType } from '../../engine/node.js';

/** AI layer: providers and AI nodes. */
export const aiNodeTypes: AnyNodeType[] = [];
