import type { AnyNodeType } from '../../engine/node.js';
import { knowledgeGenerateNode } from './generate.js';
import { knowledgeSearchNode } from './search.js';
import './service.js';

/** Knowledge Fusion: documents from calls and emails. */
export const knowledgeNodeTypes: AnyNodeType[] = [
  knowledgeGenerateNode,
  knowledgeSearchNode,
] as AnyNodeType[];
