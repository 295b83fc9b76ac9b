import type { AnyNodeType } from '../../engine/node.js';

/** Adaptive Outbound: leads, campaigns, replies, variant bandit, lead scoring. */
export const outboundNodeTypes: AnyNodeType[] = [];
