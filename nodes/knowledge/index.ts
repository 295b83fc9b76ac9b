import type { AnyNodeType } from '../../engine/node.js';

/** Knowledge Fusion: documents from calls and emails. */
export const knowledgeNodeTypes: AnyNodeType[] = [];
