import type { AnyNodeType } from '../../engine/node.js';

/** Growth analytics: activation, retention, expansion, churn risk. */
export const analyticsNodeTypes: AnyNodeType[] = [];
