import type { AnyNodeType } from '../../engine/node.js';
import { voiceExtractActionsNode } from './extract-actions.js';
import { voiceTranscriptTrigger } from './transcript.js';
import './service.js';

/** Voice-to-Action: calls become tasks. */
export const voiceNodeTypes: AnyNodeType[] = [
  voiceTranscriptTrigger,
  voiceExtractActionsNode,
] as AnyNodeType[];
