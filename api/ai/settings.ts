import type { Knex } from 'knex';
import type { AiProviderId } from '../../nodes/ai/service.js';

/** A workspace's AI defaults (no row: the deployment default). */
export interface AiSettings {
  provider: AiProviderId;
  model: string | null;
  credentialId: string | null;
  updatedAt: string | null;
}

interface SettingsRow {
  workspace_id: string;
  provider: AiProviderId;
  model: string | null;
  credential_id: string | null;
  updated_by: string | null;
  updated_at: Date;
}

export interface AiUsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export class AiSettingsStore {
  constructor(private readonly knex: Knex) {}

  async get(workspaceId: string): Promise<AiSettings | undefined> {
    const row = await this.knex<SettingsRow>('ai_settings').where({ workspace_id: workspaceId }).first();
    return row
      ? {
          provider: row.provider,
          model: row.model,
          credentialId: row.credential_id,
          updatedAt: new Date(row.updated_at).toISOString(),
        }
      : undefined;
  }

  async put(
    workspaceId: string,
    settings: { provider: AiProviderId; model: string | null; credentialId: string | null },
    userId: string | null,
  ): Promise<AiSettings> {
    await this.knex('ai_settings')
      .insert({
        workspace_id: workspaceId,
        provider: settings.provider,
        model: settings.model,
        credential_id: settings.credentialId,
        updated_by: userId,
        updated_at: new Date(),
      })
      .onConflict('workspace_id')
      .merge();
    return (await this.get(workspaceId))!;
  }

  /** One metered call's tokens and latency, under its usage key (a retried step updates its row). */
  async recordCall(
    workspaceId: string,
    call: {
      key: string;
      operation: string;
      provider: AiProviderId;
      model: string;
      inputTokens: number;
      outputTokens: number;
      latencyMs: number;
    },
  ): Promise<void> {
    await this.knex('ai_calls')
      .insert({
        workspace_id: workspaceId,
        idempotency_key: call.key,
        operation: call.operation,
        provider: call.provider,
        model: call.model.slice(0, 200),
        input_tokens: call.inputTokens,
        output_tokens: call.outputTokens,
        latency_ms: Math.round(call.latencyMs),
      })
      .onConflict(['workspace_id', 'idempotency_key'])
      .merge();
  }

  async totals(workspaceId: string, period: { start: Date; end: Date }): Promise<AiUsageTotals> {
    const row = await this.knex('ai_calls')
      .where({ workspace_id: workspaceId })
      .andWhere('created_at', '>=', period.start)
      .andWhere('created_at', '<', period.end)
      .first<{ calls: string; input: string | null; output: string | null }>(
        this.knex.raw('count(*) AS calls'),
        this.knex.raw('sum(input_tokens) AS input'),
        this.knex.raw('sum(output_tokens) AS output'),
      );
    const inputTokens = Number(row?.input ?? 0);
    const outputTokens = Number(row?.output ?? 0);
    return {
      calls: Number(row?.calls ?? 0),
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens,
    };
  }
}
