import type { Knex } from 'knex';
import type { NodeServices } from '../../engine/node.js';
import type { SafetyService } from '../../nodes/safety/service.js';
import type { FeatureServiceDeps } from '../services.js';
import { recordDecision } from './log.js';
import { consentedAmong, suppressedAmong } from './suppression.js';

export function safetyService(knex: Knex): SafetyService {
  return {
    record: async (decision) => {
      await recordDecision(knex, decision);
    },
    suppressed: (workspaceId, emails) => suppressedAmong(knex, workspaceId, emails),
    consented: (workspaceId, emails) => consentedAmong(knex, workspaceId, emails),
  };
}

/** What the safety feature adds to ctx.services: the safety log, suppression list and consent records. */
export function safetyNodeServices(deps: FeatureServiceDeps): Partial<NodeServices> {
  return { safety: safetyService(deps.knex) };
}
