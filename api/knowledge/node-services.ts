import type { NodeServices } from '../../engine/node.js';
import type { FeatureServiceDeps } from '../services.js';

/** What the knowledge feature adds to ctx.services (built after the services listed before it in api/services.ts). */
export function knowledgeNodeServices(deps: FeatureServiceDeps): Partial<NodeServices> {
  void deps;
  return {};
}
