import type { AnyNodeType } from '../../engine/node.js';

/** Voice-to-Action: calls become tasks. */
export const voiceNodeTypes: AnyNodeType[] = [];
