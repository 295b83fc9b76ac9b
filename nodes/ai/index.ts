import type { AnyNodeType } from '../../engine/node.js';
import { aiClassifyNode } from './classify.js';
import { aiExtractNode } from './extract.js';
import { aiGenerateNode } from './generate.js';
import { aiSummarizeNode } from './summarize.js';

/** AI layer: providers and AI nodes. */
export const aiNodeTypes: AnyNodeType[] = [aiGenerateNode, aiExtractNode, aiClassifyNode, aiSummarizeNode];
