import type { Knex } from 'knex';
import type { NodeServices } from '../../engine/node.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { ActiveTriggerCache } from '../events/active-triggers.js';
import { derivedRunId } from '../events/run-ids.js';
import { startRunOnce } from '../events/start-once.js';
import type { ApiContext } from '../http/context.js';
import type { FeatureServiceDeps } from '../services.js';
import { Voice } from './service.js';
import type { Call } from './store.js';

/**
 * One Voice per database: the nodes' `ctx.services.voice`, and the routes' — which reach the
 * same AI service and task list as the nodes (built in api/services.ts before this feature).
 */
const voices = new WeakMap<Knex, Voice>();
const triggers = new WeakMap<Knex, ActiveTriggerCache>();

export function voiceNodeServices(deps: FeatureServiceDeps): Partial<NodeServices> {
  const voice = new Voice({
    knex: deps.knex,
    ai: deps.services.ai,
    workItems: deps.services.workItems,
    env: deps.env,
  });
  voices.set(deps.knex, voice);
  return { voice };
}

/** The Voice of this database; a process that built no node services yet (an API-only test) builds them now. */
export async function ensureVoice(knex: Knex, secrets: SecretBox): Promise<Voice> {
  const existing = voices.get(knex);
  if (existing) return existing;
  const { createNodeServices } = await import('../services.js');
  createNodeServices({ knex, secrets });
  return voices.get(knex)!;
}

/**
 * `voice.transcript` triggers: every active workflow with one starts a run for a new call,
 * once per call and node (derived run id). The API without an engine (some tests) skips this.
 */
export async function startVoiceTriggers(ctx: ApiContext, workspaceId: string, call: Call): Promise<void> {
  let runtime;
  try {
    runtime = ctx.bundle.runtime;
  } catch {
    return;
  }
  let cache = triggers.get(ctx.knex);
  if (!cache) {
    cache = new ActiveTriggerCache(ctx.knex, 'voice.transcript', 1_000);
    triggers.set(ctx.knex, cache);
  }
  const input = {
    callId: call.id,
    title: call.title,
    startedAt: call.startedAt,
    durationSeconds: call.durationSeconds,
    leadId: call.leadId,
    participants: call.participants.map((p) => ({ ...p })),
    speakers: call.speakers ?? [],
    sourceFormat: call.sourceFormat,
  };
  for (const target of await cache.list(workspaceId)) {
    const config = (target.config ?? {}) as { leadsOnly?: unknown; minDurationSeconds?: unknown };
    if (config.leadsOnly === true && !call.leadId) continue;
    if (typeof config.minDurationSeconds === 'number' && call.durationSeconds < config.minDurationSeconds)
      continue;
    try {
      await startRunOnce(runtime, {
        id: derivedRunId(Date.parse(call.createdAt), [
          'voice',
          workspaceId,
          call.id,
          target.workflowId,
          target.nodeId,
        ]),
        workspaceId,
        workflowId: target.workflowId,
        versionId: target.versionId,
        triggerNodeId: target.nodeId,
        input,
      });
    } catch (error) {
      // A refused run (plan quota) must not fail the upload: the call is stored either way.
      ctx.logger.warn({ err: error, workflowId: target.workflowId }, 'voice.transcript run not started');
    }
  }
}
