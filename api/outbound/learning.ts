import type { Knex } from 'knex';
import type { Json } from '../../engine/json.js';
import {
  auc,
  DEFAULT_SCORE,
  emptyModel,
  featuresOf,
  leadRecord,
  modelFrom,
  predict,
  scoreOf,
  update,
  type ScoreModelState,
} from '../../nodes/outbound/score.js';
import type { LeadScore } from '../../nodes/outbound/service.js';
import { presentLead, type LeadRow } from './leads.js';

/**
 * The workspace's lead-score model in Postgres: one row, updated under a row lock (SELECT … FOR
 * UPDATE) so concurrent outcomes each apply once and none is lost. Every outcome is also kept as
 * an `outcome` event, which is what "retrain from history" replays.
 */
export class ScoreModels {
  constructor(private readonly knex: Knex) {}

  async load(
    workspaceId: string,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<{ model: ScoreModelState; examples: number }> {
    const row = await db('outbound_score_models')
      .where({ workspace_id: workspaceId })
      .first<{ weights: Json; examples: number } | undefined>('weights', 'examples');
    return { model: modelFrom(row?.weights), examples: row?.examples ?? 0 };
  }

  async score(workspaceId: string, lead: LeadRow): Promise<LeadScore> {
    const { model, examples } = await this.load(workspaceId);
    return scoreOf(model, leadRecord(presentLead(lead)), examples);
  }

  /** Learn one outcome of a lead (1: replied positively, meeting, won; 0: no, lost) and rescore it. */
  async learn(workspaceId: string, lead: LeadRow, label: 0 | 1, cause: string): Promise<LeadScore> {
    return this.knex.transaction(async (trx) => {
      const recorded = await trx('outbound_events')
        .insert({
          workspace_id: workspaceId,
          lead_id: lead.id,
          kind: 'outcome',
          dedup_key: `outcome:${cause}`,
          data: JSON.stringify({ label, cause }),
        })
        .onConflict(['workspace_id', 'dedup_key'])
        .ignore()
        .returning('id');
      await trx('outbound_score_models')
        .insert({ workspace_id: workspaceId })
        .onConflict('workspace_id')
        .ignore();
      const row = await trx('outbound_score_models')
        .where({ workspace_id: workspaceId })
        .forUpdate()
        .first<{ weights: Json; examples: number }>('weights', 'examples');
      const model = modelFrom(row.weights);
      const record = leadRecord(presentLead(lead));
      let examples = row.examples;
      if (recorded.length > 0) {
        update(model, featuresOf(record, model, DEFAULT_SCORE, true), label, DEFAULT_SCORE);
        examples += 1;
        await trx('outbound_score_models')
          .where({ workspace_id: workspaceId })
          .update({
            weights: JSON.stringify(model),
            examples,
            positives: trx.raw('positives + ?', [label]),
            updated_at: trx.fn.now(),
          });
      }
      const score = scoreOf(model, record, examples);
      await trx('outbound_leads').where({ id: lead.id }).update({ score: score.score });
      return score;
    });
  }

  /** Rebuild the model from every recorded outcome, oldest first; rescore every lead. */
  async retrain(workspaceId: string): Promise<{ examples: number; positives: number; auc: number | null }> {
    const outcomes = await this.knex('outbound_events as e')
      .join('outbound_leads as l', 'l.id', 'e.lead_id')
      .where({ 'e.workspace_id': workspaceId, 'e.kind': 'outcome' })
      .orderBy([{ column: 'e.occurred_at' }, { column: 'e.id' }])
      .select<Array<LeadRow & { outcome_label: number }>>(
        'l.*',
        this.knex.raw("(e.data->>'label')::int AS outcome_label"),
      );
    const model = emptyModel();
    const predictions: number[] = [];
    const labels: (0 | 1)[] = [];
    for (const row of outcomes) {
      const label: 0 | 1 = row.outcome_label === 1 ? 1 : 0;
      const features = featuresOf(leadRecord(presentLead(row)), model, DEFAULT_SCORE, true);
      predictions.push(predict(model, features, DEFAULT_SCORE));
      labels.push(label);
      update(model, features, label, DEFAULT_SCORE);
    }
    const positives = labels.filter((label) => label === 1).length;
    await this.knex.transaction(async (trx) => {
      await trx('outbound_score_models')
        .insert({
          workspace_id: workspaceId,
          weights: JSON.stringify(model),
          examples: outcomes.length,
          positives,
        })
        .onConflict('workspace_id')
        .merge(['weights', 'examples', 'positives', 'updated_at']);
      const leads = (await trx('outbound_leads')
        .where({ workspace_id: workspaceId })
        .limit(100_000)) as LeadRow[];
      const scores = leads.map((lead) => ({
        id: lead.id,
        score: scoreOf(model, leadRecord(presentLead(lead)), outcomes.length).score,
      }));
      for (let i = 0; i < scores.length; i += 1000) {
        const chunk = scores.slice(i, i + 1000);
        if (chunk.length === 0) continue;
        await trx.raw(
          `UPDATE outbound_leads AS l SET score = v.score FROM (SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(id uuid, score int)) AS v WHERE l.id = v.id`,
          [JSON.stringify(chunk)],
        );
      }
    });
    const mixed = positives > 0 && positives < labels.length;
    return { examples: outcomes.length, positives, auc: mixed ? auc(predictions, labels) : null };
  }
}
