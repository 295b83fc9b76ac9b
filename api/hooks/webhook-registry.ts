import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { VersionRecord } from '../db/workflow-repository.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { conflict } from '../http/problem.js';

export interface WebhookEntry {
  workspaceId: string;
  workflowId: string;
  versionId: string;
  nodeId: string;
  path: string;
  method: string;
  responseMode: 'immediate' | 'respondNode';
  responseTimeoutMs: number;
  /** The signing secret, opened; null when the trigger is not signed. */
  secret: string | null;
}

interface WebhookRow {
  workspace_id: string;
  workflow_id: string;
  version_id: string;
  node_id: string;
  path: string;
  method: string;
  response_mode: 'immediate' | 'respondNode';
  response_timeout_ms: number;
  signed: boolean;
  sealed_secret: string | null;
}

interface WebhookConfig {
  path?: string;
  method?: string;
  responseMode?: 'immediate' | 'respondNode';
  responseTimeoutMs?: number;
  signed?: boolean;
}

const CACHE_TTL_MS = 5_000;

/**
 * Which active workflow answers `/hooks/<workspace>/<path>`. Lookups are cached per workspace
 * for a few seconds (the hot path of every webhook), and dropped when this process changes
 * an activation; another API process sees a change within the TTL.
 */
export class WebhookRegistry {
  private readonly cache = new Map<string, { at: number; entries: Map<string, WebhookEntry> }>();

  constructor(
    private readonly knex: Knex,
    private readonly secrets: SecretBox,
  ) {}

  /** Register the version's webhook triggers for its workflow, replacing earlier ones. */
  async register(trx: Knex.Transaction, version: VersionRecord): Promise<void> {
    await trx('webhooks').where({ workflow_id: version.workflowId }).delete();
    for (const node of version.document.nodes) {
      if (node.type !== 'trigger.webhook') continue;
      const config = node.config as WebhookConfig;
      const path = normalisePath(config.path ?? '');
      const taken = await trx('webhooks')
        .where({ workspace_id: version.workspaceId, path })
        .first<{ workflow_id: string } | undefined>('workflow_id');
      if (taken)
        throw conflict(
          `The webhook path "${path}" is already used by another active workflow (${taken.workflow_id})`,
        );
      await trx('webhooks').insert({
        workspace_id: version.workspaceId,
        workflow_id: version.workflowId,
        version_id: version.id,
        node_id: node.id,
        path,
        method: config.method ?? 'POST',
        response_mode: config.responseMode ?? 'immediate',
        response_timeout_ms: config.responseTimeoutMs ?? 30_000,
        signed: config.signed === true,
      });
      if (config.signed) await this.ensureSecret(trx, version.workspaceId, version.workflowId, node.id);
    }
  }

  async unregister(knex: Knex, workflowId: string): Promise<void> {
    await knex('webhooks').where({ workflow_id: workflowId }).delete();
  }

  invalidate(workspaceId: string): void {
    this.cache.delete(workspaceId);
  }

  async lookup(workspaceId: string, path: string): Promise<WebhookEntry | undefined> {
    const cached = this.cache.get(workspaceId);
    if (cached && Date.now() - cached.at < CACHE_TTL_MS) return cached.entries.get(normalisePath(path));
    const rows = await this.knex('webhooks as w')
      .leftJoin('webhook_secrets as s', function joinSecret() {
        this.on('s.workflow_id', 'w.workflow_id').andOn('s.node_id', 'w.node_id');
      })
      .where('w.workspace_id', workspaceId)
      .select<WebhookRow[]>('w.*', 's.sealed_secret');
    const entries = new Map<string, WebhookEntry>();
    for (const row of rows) {
      entries.set(row.path, {
        workspaceId: row.workspace_id,
        workflowId: row.workflow_id,
        versionId: row.version_id,
        nodeId: row.node_id,
        path: row.path,
        method: row.method,
        responseMode: row.response_mode,
        responseTimeoutMs: row.response_timeout_ms,
        secret:
          row.signed && row.sealed_secret
            ? this.secrets.open(row.sealed_secret, secretContext(row.workflow_id, row.node_id))
            : null,
      });
    }
    this.cache.set(workspaceId, { at: Date.now(), entries });
    return entries.get(normalisePath(path));
  }

  /** The secret of a signed trigger, for its owners to configure the sender. */
  async secretFor(workflowId: string, nodeId: string): Promise<string | null> {
    const row = await this.knex('webhook_secrets')
      .where({ workflow_id: workflowId, node_id: nodeId })
      .first<{ sealed_secret: string } | undefined>('sealed_secret');
    return row ? this.secrets.open(row.sealed_secret, secretContext(workflowId, nodeId)) : null;
  }

  async rotateSecret(workspaceId: string, workflowId: string, nodeId: string): Promise<string> {
    const secret = newSecret();
    await this.knex('webhook_secrets')
      .insert({
        workflow_id: workflowId,
        node_id: nodeId,
        workspace_id: workspaceId,
        sealed_secret: this.secrets.seal(secret, secretContext(workflowId, nodeId)),
      })
      .onConflict(['workflow_id', 'node_id'])
      .merge();
    this.invalidate(workspaceId);
    return secret;
  }

  private async ensureSecret(
    trx: Knex.Transaction,
    workspaceId: string,
    workflowId: string,
    nodeId: string,
  ): Promise<void> {
    await trx('webhook_secrets')
      .insert({
        workflow_id: workflowId,
        node_id: nodeId,
        workspace_id: workspaceId,
        sealed_secret: this.secrets.seal(newSecret(), secretContext(workflowId, nodeId)),
      })
      .onConflict(['workflow_id', 'node_id'])
      .ignore();
  }
}

const newSecret = (): string => `whsec_${randomBytes(24).toString('base64url')}`;
const secretContext = (workflowId: string, nodeId: string): string => `webhook:${workflowId}:${nodeId}`;

export function normalisePath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
