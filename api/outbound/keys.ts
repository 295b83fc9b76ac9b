import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { DomainError } from '../../engine/errors.js';
import type { SecretBox } from '../crypto/secret-box.js';

/**
 * A per-workspace outbound secret (sealed with the deployment key): it signs the inbound webhook
 * (Revflow-Signature, as workflow webhooks) and the unsubscribe links, each lead's own. A link
 * names its workspace and lead and carries an HMAC of both, so a token for one lead cannot
 * unsubscribe another, and nothing needs to be stored per link.
 */
export class OutboundKeys {
  constructor(
    private readonly knex: Knex,
    private readonly secrets: SecretBox | undefined,
  ) {}

  private box(): SecretBox {
    if (!this.secrets)
      throw new DomainError(
        'unavailable',
        'no_encryption_key',
        'Outbound needs REVFLOW_ENCRYPTION_KEY to sign links and webhooks',
      );
    return this.secrets;
  }

  /** The workspace's secret, made on first use. */
  async secret(workspaceId: string): Promise<string> {
    const box = this.box();
    const aad = `outbound:${workspaceId}`;
    let row = await this.knex('outbound_settings')
      .where({ workspace_id: workspaceId })
      .first<{ secret_sealed: string } | undefined>('secret_sealed');
    if (!row) {
      const sealed = box.seal(randomBytes(32).toString('base64url'), aad);
      await this.knex('outbound_settings')
        .insert({ workspace_id: workspaceId, secret_sealed: sealed })
        .onConflict('workspace_id')
        .ignore();
      row = await this.knex('outbound_settings')
        .where({ workspace_id: workspaceId })
        .first<{ secret_sealed: string }>('secret_sealed');
    }
    // Read each time (no cache): a rotation applies at once in every process.
    return box.open(row.secret_sealed, aad);
  }

  /** A new secret: old links and webhook signatures stop working. */
  async rotate(workspaceId: string): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const sealed = this.box().seal(secret, `outbound:${workspaceId}`);
    await this.knex('outbound_settings')
      .insert({ workspace_id: workspaceId, secret_sealed: sealed })
      .onConflict('workspace_id')
      .merge(['secret_sealed']);
    return secret;
  }

  async unsubscribeToken(workspaceId: string, leadId: string): Promise<string> {
    const mac = createHmac('sha256', await this.secret(workspaceId))
      .update(`unsubscribe:${workspaceId}:${leadId}`)
      .digest('base64url');
    return `${workspaceId}.${leadId}.${mac}`;
  }

  /** The workspace and lead of a valid token; undefined for anything forged, altered or malformed. */
  async verifyUnsubscribe(token: string): Promise<{ workspaceId: string; leadId: string } | undefined> {
    const parts = token.split('.');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    if (parts.length !== 3) return undefined;
    const [workspaceId = '', leadId = '', mac = ''] = parts;
    if (!uuid.test(workspaceId) || !uuid.test(leadId) || !/^[A-Za-z0-9_-]{43}$/.test(mac)) return undefined;
    const exists = await this.knex('outbound_settings')
      .where({ workspace_id: workspaceId })
      .first<{ workspace_id: string } | undefined>('workspace_id');
    if (!exists) return undefined;
    const expected = Buffer.from(
      createHmac('sha256', await this.secret(workspaceId))
        .update(`unsubscribe:${workspaceId}:${leadId}`)
        .digest('base64url'),
    );
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected)
      ? { workspaceId, leadId }
      : undefined;
  }
}
