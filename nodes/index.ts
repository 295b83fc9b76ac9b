import type { AnyNodeType } from '../engine/node.js';
import { NodeRegistry } from '../engine/registry.js';
import { webhookRespondNode } from './actions/webhook-respond.js';
import { codeNode } from './data/code.js';
import { setNode } from './data/set.js';
import { delayNode } from './flow/delay.js';
import { ifNode } from './logic/if.js';
import { mergeNode } from './logic/merge.js';
import { switchNode } from './logic/switch.js';
import { manualTrigger } from './triggers/manual.js';
import { scheduleTrigger } from './triggers/schedule.js';
import { webhookTrigger } from './triggers/webhook.js';

/** Every node type Revflow ships. */
export const coreNodeTypes: AnyNodeType[] = [
  manualTrigger,
  webhookTrigger,
  scheduleTrigger,
  ifNode,
  switchNode,
  mergeNode,
  setNode,
  codeNode,
  delayNode,
  webhookRespondNode,
] as AnyNodeType[];

export function createNodeRegistry(extra: AnyNodeType[] = []): NodeRegistry {
  return new NodeRegistry([...coreNodeTypes, ...extra]);
}
