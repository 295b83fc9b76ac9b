import type { NodeServices } from '../../engine/node.js';
import type { FeatureServiceDeps } from '../services.js';
import { aiConfigFromEnv } from './config.js';
import { createAiService } from './service.js';

/** What the ai feature adds to ctx.services: `ai` (local by default, openai-compatible when configured). */
export function aiNodeServices(deps: FeatureServiceDeps): Partial<NodeServices> {
  return {
    ai: createAiService({
      knex: deps.knex,
      credentials: deps.services.credentials,
      http: deps.services.http,
      config: aiConfigFromEnv(deps.env),
    }),
  };
}
