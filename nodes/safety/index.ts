import type { AnyNodeType } from '../../engine/node.js';
import { safetyComplianceNode } from './compliance.js';
import { safetyContentNode } from './content.js';
import { safetyPiiNode } from './pii.js';
import { safetyPromptInjectionNode } from './prompt-injection.js';
import { safetyUrlsNode } from './urls.js';
import './service.js';

/** AI Safety Console: guardrail nodes and the workspace safety policy. */
export const safetyNodeTypes: AnyNodeType[] = [
  safetyPiiNode,
  safetyPromptInjectionNode,
  safetyContentNode,
  safetyComplianceNode,
  safetyUrlsNode,
] as AnyNodeType[];
