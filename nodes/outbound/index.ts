import type { AnyNodeType } from '../../engine/node.js';
import { enrollNode } from './enroll.js';
import { pickVariantNode } from './pick-variant.js';
import { scoreLeadNode } from './score-lead.js';
import { sendNode } from './send.js';
import { updateLeadNode } from './update-lead.js';
import { waitForReplyNode } from './wait-for-reply.js';

/** Adaptive Outbound: leads, campaigns, replies, variant bandit, lead scoring. */
export const outboundNodeTypes: AnyNodeType[] = [
  enrollNode,
  pickVariantNode,
  sendNode,
  waitForReplyNode,
  updateLeadNode,
  scoreLeadNode,
] as AnyNodeType[];
