import type { Knex } from 'knex';
import type { SafetyDecision } from '../../nodes/safety/service.js';
import { uuidv7 } from '../db/ids.js';
import { platformEvents } from '../events/platform.js';

/**
 * The safety log: one row per guardrail decision and per run-time policy block. It holds the
 * check, verdict, reason and entity counts — never the text that was checked.
 */
export interface DecisionRow {
  id: string;
  workspace_id: string;
  run_id: string | null;
  workflow_id: string | null;
  node_id: string;
  check: string;
  verdict: string;
  reason: string;
  entities: Record<string, number>;
  redactions: number;
  created_at: Date;
}

export interface DecisionQuery {
  verdict?: 'pass' | 'fail' | undefined;
  check?: string | undefined;
  runId?: string | undefined;
  workflowId?: string | undefined;
  /** Entity or rule type found, e.g. `email`. */
  entity?: string | undefined;
  /** Words in the reason or node id. */
  q?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  before?: string | undefined;
  limit: number;
}

export async function recordDecision(knex: Knex, decision: SafetyDecision): Promise<string> {
  const id = uuidv7();
  const uuid = /^[0-9a-f-]{36}$/i;
  await knex.transaction(async (trx) => {
    await trx('safety_decisions').insert({
      id,
      workspace_id: decision.workspaceId,
      run_id: decision.runId && uuid.test(decision.runId) ? decision.runId : null,
      workflow_id: decision.workflowId && uuid.test(decision.workflowId) ? decision.workflowId : null,
      node_id: decision.nodeId.slice(0, 200),
      check: decision.check,
      verdict: decision.verdict,
      reason: decision.reason.slice(0, 1000),
      entities: JSON.stringify(decision.entities),
      redactions: decision.redactions,
    });
    if (decision.verdict === 'fail') {
      await platformEvents(knex).emit(
        {
          workspaceId: decision.workspaceId,
          // Once per run and node: a retried step does not announce its block twice.
          eventId: `safety.blocked:${decision.runId ?? id}:${decision.nodeId}`,
          name: 'safety.blocked',
          data: {
            runId: decision.runId,
            workflowId: decision.workflowId,
            nodeId: decision.nodeId,
            check: decision.check,
            reason: decision.reason,
            entities: decision.entities,
          },
        },
        trx,
      );
    }
  });
  return id;
}

export function searchDecisions(
  knex: Knex,
  workspaceId: string,
  query: DecisionQuery,
): Promise<DecisionRow[]> {
  return knex('safety_decisions')
    .where({ workspace_id: workspaceId })
    .modify((q) => {
      if (query.verdict) q.where('verdict', query.verdict);
      if (query.check) q.where('check', query.check);
      if (query.runId) q.where('run_id', query.runId);
      if (query.workflowId) q.where('workflow_id', query.workflowId);
      if (query.entity) q.whereRaw('entities \\? ?', [query.entity]);
      if (query.q) {
        const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q.where((w) => {
          void w.whereILike('reason', like).orWhereILike('node_id', like);
        });
      }
      if (query.since) q.where('created_at', '>=', query.since);
      if (query.until) q.where('created_at', '<', query.until);
      if (query.before) q.where('id', '<', query.before);
    })
    .orderBy('id', 'desc')
    .limit(query.limit)
    .select<DecisionRow[]>('*');
}

export interface SafetyStats {
  days: Array<{ day: string; checks: number; blocks: number; redactions: number }>;
  byEntity: Array<{ entity: string; count: number }>;
  byWorkflow: Array<{
    workflowId: string | null;
    name: string | null;
    checks: number;
    blocks: number;
    redactions: number;
  }>;
  totals: { checks: number; blocks: number; redactions: number };
}

export async function decisionStats(knex: Knex, workspaceId: string, since: Date): Promise<SafetyStats> {
  const base = () =>
    knex('safety_decisions as d').where('d.workspace_id', workspaceId).where('d.created_at', '>=', since);
  const [days, entities, workflows] = await Promise.all([
    base()
      .select(knex.raw(`to_char(date_trunc('day', d.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') as day`))
      .count<Array<{ day: string; checks: string }>>('* as checks')
      .select(knex.raw(`count(*) filter (where d.verdict = 'fail') as blocks`))
      .sum('d.redactions as redactions')
      .groupBy('day')
      .orderBy('day'),
    base()
      .joinRaw('cross join lateral jsonb_each_text(d.entities) as e(key, value)')
      .select('e.key as entity')
      .sum({ count: knex.raw('(e.value)::int') })
      .groupBy('e.key')
      .orderBy('count', 'desc')
      .limit(20),
    base()
      .leftJoin('workflows as w', 'w.id', 'd.workflow_id')
      .select('d.workflow_id', 'w.name')
      .count('* as checks')
      .select(knex.raw(`count(*) filter (where d.verdict = 'fail') as blocks`))
      .sum('d.redactions as redactions')
      .groupBy('d.workflow_id', 'w.name')
      .orderBy('checks', 'desc')
      .limit(20),
  ]);
  const num = (v: unknown): number => Number(v ?? 0);
  const dayRows = (days as unknown as Array<Record<string, unknown>>).map((r) => ({
    day: String(r.day),
    checks: num(r.checks),
    blocks: num(r.blocks),
    redactions: num(r.redactions),
  }));
  return {
    days: dayRows,
    byEntity: (entities as unknown as Array<Record<string, unknown>>).map((r) => ({
      entity: String(r.entity),
      count: num(r.count),
    })),
    byWorkflow: (workflows as unknown as Array<Record<string, unknown>>).map((r) => ({
      workflowId: (r.workflow_id as string | null) ?? null,
      name: (r.name as string | null) ?? null,
      checks: num(r.checks),
      blocks: num(r.blocks),
      redactions: num(r.redactions),
    })),
    totals: {
      checks: dayRows.reduce((a, d) => a + d.checks, 0),
      blocks: dayRows.reduce((a, d) => a + d.blocks, 0),
      redactions: dayRows.reduce((a, d) => a + d.redactions, 0),
    },
  };
}
