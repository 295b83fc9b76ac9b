import type { AnyNodeType } from '../engine/node.js';
import { NodeRegistry } from '../engine/registry.js';
import { emailSendNode } from './email/send.js';
import { changePlanNode } from './billing/change-plan.js';
import { changeSeatsNode } from './billing/change-seats.js';
import { checkoutLinkNode } from './billing/checkout-link.js';
import { checkQuotaNode } from './billing/check-quota.js';
import { recordUsageNode } from './billing/record-usage.js';
import { stripeTrigger } from './triggers/stripe.js';
import { httpRequestNode } from './http/request.js';
import { notifyChatNode } from './notify/chat.js';
import { webhookRespondNode } from './webhook/respond.js';
import { createTaskNode, createTicketNode } from './work-items/create.js';
import { aiNodeTypes } from './ai/index.js';
import { safetyNodeTypes } from './safety/index.js';
import { outboundNodeTypes } from './outbound/index.js';
import { voiceNodeTypes } from './voice/index.js';
import { knowledgeNodeTypes } from './knowledge/index.js';
import { analyticsNodeTypes } from './analytics/index.js';
import { codeNode } from './code/javascript.js';
import { cryptoNode } from './data/crypto.js';
import { dateTimeNode } from './data/date-time.js';
import { jsonNode } from './data/json.js';
import { setNode } from './data/set.js';
import { textNode } from './data/text.js';
import { delayNode } from './flow/delay.js';
import { stopNode } from './flow/stop.js';
import { approvalNode } from './flow/approval.js';
import { subWorkflowNode } from './flow/sub-workflow.js';
import { waitForEventNode } from './flow/wait-for-event.js';
import { forEachNode } from './logic/for-each.js';
import { filterNode } from './logic/filter.js';
import { ifNode } from './logic/if.js';
import { mergeNode } from './logic/merge.js';
import { switchNode } from './logic/switch.js';
import { errorTrigger } from './triggers/error.js';
import { eventTrigger } from './triggers/event.js';
import { manualTrigger } from './triggers/manual.js';
import { scheduleTrigger } from './triggers/schedule.js';
import { webhookTrigger } from './triggers/webhook.js';

/** Every node type Revflow ships. */
export const coreNodeTypes: AnyNodeType[] = [
  manualTrigger,
  webhookTrigger,
  scheduleTrigger,
  eventTrigger,
  errorTrigger,
  ifNode,
  switchNode,
  mergeNode,
  setNode,
  codeNode,
  delayNode,
  webhookRespondNode,
  filterNode,
  stopNode,
  textNode,
  jsonNode,
  cryptoNode,
  dateTimeNode,
  httpRequestNode,
  emailSendNode,
  notifyChatNode,
  createTaskNode,
  createTicketNode,
  waitForEventNode,
  approvalNode,
  subWorkflowNode,
  forEachNode,
  stripeTrigger,
  changeSeatsNode,
  changePlanNode,
  checkoutLinkNode,
  recordUsageNode,
  checkQuotaNode,
  ...aiNodeTypes,
  ...safetyNodeTypes,
  ...outboundNodeTypes,
  ...voiceNodeTypes,
  ...knowledgeNodeTypes,
  ...analyticsNodeTypes,
] as AnyNodeType[];

export function createNodeRegistry(extra: AnyNodeType[] = []): NodeRegistry {
  return new NodeRegistry([...coreNodeTypes, ...extra]);
}
