import type { Knex } from 'knex';
import type { CredentialsService, ResolvedCredential } from '../../nodes/services.js';
// The allowedHosts/hostsSource fields of ResolvedCredential are declared there.
import '../../nodes/http/auth.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { credentialTypeSchema, toSecret, type CredentialTypeName } from './schemas.js';

export interface CredentialRow {
  id: string;
  workspace_id: string;
  name: string;
  type: string;
  sealed_data: string;
  allowed_hosts: string[] | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface CredentialView {
  id: string;
  workspaceId: string;
  name: string;
  type: CredentialTypeName;
  /** Only when bound; absent: the workspace allow-list only. */
  allowedHosts?: string[];
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export class CredentialNotFound extends Error {
  readonly code = 'credential_not_found';
  constructor(id: string) {
    super(`The credential ${id} does not exist in this workspace`);
    this.name = 'CredentialNotFound';
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Credentials at rest. The data is sealed with the workspace and credential id as associated
 * data, so a sealed value copied to another row (or workspace) no longer opens.
 */
export class CredentialStore implements CredentialsService {
  constructor(
    private readonly knex: Knex,
    private readonly secrets: SecretBox,
  ) {}

  private static context(workspaceId: string, id: string): string {
    return `credential:${workspaceId}:${id}`;
  }

  static view(row: CredentialRow): CredentialView {
    return {
      id: row.id,
      workspaceId: row.workspace_id,
      name: row.name,
      type: credentialTypeSchema.parse(row.type),
      ...(row.allowed_hosts ? { allowedHosts: row.allowed_hosts } : {}),
      createdBy: row.created_by,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  async list(workspaceId: string): Promise<CredentialView[]> {
    const rows = await this.knex<CredentialRow>('credentials')
      .where({ workspace_id: workspaceId })
      .orderBy('name');
    return rows.map((row) => CredentialStore.view(row));
  }

  async find(workspaceId: string, id: string): Promise<CredentialRow | undefined> {
    if (!uuidPattern.test(id)) return undefined;
    return this.knex<CredentialRow>('credentials').where({ workspace_id: workspaceId, id }).first();
  }

  async create(input: {
    workspaceId: string;
    name: string;
    type: CredentialTypeName;
    data: unknown;
    createdBy: string | null;
    /** Where the secret may be sent; absent: not bound (the workspace allow-list only). */
    allowedHosts?: string[];
  }): Promise<CredentialView> {
    const id = crypto.randomUUID();
    const sealed = this.secrets.seal(
      JSON.stringify(input.data),
      CredentialStore.context(input.workspaceId, id),
    );
    const [row] = await this.knex<CredentialRow>('credentials')
      .insert({
        id,
        workspace_id: input.workspaceId,
        name: input.name,
        type: input.type,
        sealed_data: sealed,
        // jsonb: knex would send a JS array as a Postgres array.
        allowed_hosts: (input.allowedHosts ? JSON.stringify(input.allowedHosts) : null) as unknown as
          string[] | null,
        created_by: input.createdBy,
      })
      .returning('*');
    return CredentialStore.view(row!);
  }

  async update(
    workspaceId: string,
    id: string,
    change: { name?: string; data?: unknown; allowedHosts?: string[] | null },
  ): Promise<CredentialView | undefined> {
    const patch: Partial<CredentialRow> = { updated_at: new Date() };
    if (change.name !== undefined) patch.name = change.name;
    if (change.allowedHosts !== undefined)
      patch.allowed_hosts = (change.allowedHosts === null ? null : JSON.stringify(change.allowedHosts)) as
        string[] | null;
    if (change.data !== undefined)
      patch.sealed_data = this.secrets.seal(
        JSON.stringify(change.data),
        CredentialStore.context(workspaceId, id),
      );
    const [row] = await this.knex<CredentialRow>('credentials')
      .where({ workspace_id: workspaceId, id })
      .update(patch)
      .returning('*');
    return row ? CredentialStore.view(row) : undefined;
  }

  async remove(workspaceId: string, id: string): Promise<boolean> {
    return (await this.knex('credentials').where({ workspace_id: workspaceId, id }).delete()) > 0;
  }

  /** For nodes: decrypted, and only from the run's own workspace (else "does not exist"). */
  async resolve(workspaceId: string, credentialId: string): Promise<ResolvedCredential> {
    const row = await this.find(workspaceId, credentialId);
    if (!row) throw new CredentialNotFound(credentialId);
    const type = credentialTypeSchema.parse(row.type);
    const data: unknown = JSON.parse(
      this.secrets.open(row.sealed_data, CredentialStore.context(workspaceId, row.id)),
    );
    const secret = toSecret(type, data);
    if (row.allowed_hosts)
      return {
        id: row.id,
        name: row.name,
        secret,
        allowedHosts: row.allowed_hosts,
        hostsSource: 'credential',
      };
    // Not bound: an SMTP credential goes to its own server (an admin typed it in); any other only
    // to the hosts admins put on the workspace's outbound allow-list. Never to a host a member picks.
    const allowList = await this.knex('workspace_outbound_hosts')
      .where({ workspace_id: workspaceId })
      .first<{ hosts: string[] } | undefined>('hosts');
    const allowedHosts = [
      ...(allowList?.hosts ?? []),
      ...(secret.type === 'smtp' ? [`${secret.host}:${secret.port}`] : []),
    ];
    return { id: row.id, name: row.name, secret, allowedHosts, hostsSource: 'workspace' };
  }
}
