import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import { effectivePlan } from '../billing/accounts.js';
import { billingFor } from '../billing/hub.js';
import { getPlan } from '../billing/plans.js';
import { emptyPolicy, policySchema, type SafetyPolicy } from './policy.js';

/** What applies to a workspace now: its policy, and whether its plan includes AI Safety. */
export interface PolicyState {
  policy: SafetyPolicy;
  version: number;
  updatedAt: Date | null;
  /** The plan includes AI Safety: only then is the policy in force. */
  enabled: boolean;
}

/** Whether the workspace's current plan includes AI Safety. */
export async function safetyEnabled(knex: Knex, workspaceId: string): Promise<boolean> {
  const account = await billingFor(knex).accounts.get(workspaceId);
  return getPlan(effectivePlan(account)).features.includes('ai_safety');
}

/**
 * Policies, read through a short cache: the run-time guard asks before every outbound step,
 * and most of those answers come from memory. A write here drops the entry at once; other
 * processes see a new policy within `ttlMs`.
 */
export class PolicyStore {
  private readonly cache: LRUCache<string, PolicyState>;

  constructor(
    private readonly knex: Knex,
    ttlMs = 2_000,
  ) {
    this.cache = new LRUCache({ max: 10_000, ttl: ttlMs });
  }

  /** From memory when fresh (no promise on the hot path), else undefined. */
  cached(workspaceId: string): PolicyState | undefined {
    return this.cache.get(workspaceId);
  }

  async get(workspaceId: string): Promise<PolicyState> {
    const hit = this.cache.get(workspaceId);
    if (hit) return hit;
    const [row, enabled] = await Promise.all([
      this.knex('safety_policies')
        .where({ workspace_id: workspaceId })
        .first<{ policy: unknown; version: number; updated_at: Date } | undefined>(),
      safetyEnabled(this.knex, workspaceId),
    ]);
    const parsed = row ? policySchema.safeParse(row.policy) : undefined;
    const state: PolicyState = {
      policy: parsed?.success ? parsed.data : emptyPolicy,
      version: row?.version ?? 0,
      updatedAt: row?.updated_at ?? null,
      enabled,
    };
    this.cache.set(workspaceId, state);
    return state;
  }

  async put(
    workspaceId: string,
    policy: SafetyPolicy,
    userId: string | null,
    trx: Knex.Transaction,
  ): Promise<number> {
    const [row] = await trx('safety_policies')
      .insert({ workspace_id: workspaceId, policy: JSON.stringify(policy), updated_by: userId, version: 1 })
      .onConflict('workspace_id')
      .merge({
        policy: JSON.stringify(policy),
        updated_by: userId,
        updated_at: trx.fn.now(),
        version: trx.raw('safety_policies.version + 1'),
      })
      .returning<Array<{ version: number }>>('version');
    this.cache.delete(workspaceId);
    return row?.version ?? 1;
  }

  forget(workspaceId: string): void {
    this.cache.delete(workspaceId);
  }
}

const stores = new WeakMap<Knex, PolicyStore>();

/** One policy store (and cache) per database handle, shared by the routes, publish and the engine guard. */
export function policyStoreFor(knex: Knex): PolicyStore {
  let store = stores.get(knex);
  if (!store) {
    store = new PolicyStore(knex);
    stores.set(knex, store);
  }
  return store;
}
