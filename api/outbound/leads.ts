import type { Knex } from 'knex';
import { z } from 'zod';
import { conflictError, invalidInput, notFoundError } from '../../engine/errors.js';
import type { JsonObject } from '../../engine/json.js';
import { isTimeZone } from '../../nodes/outbound/schedule.js';
import { leadStatuses, type Lead, type LeadStatus } from '../../nodes/outbound/service.js';
import { billingFor } from '../billing/hub.js';

/** Leads and the suppression list of a workspace (issue 13). */

export const suppressionReasons = ['unsubscribed', 'bounced', 'complained', 'manual'] as const;
export type SuppressionReason = (typeof suppressionReasons)[number];

const EMAIL =
  /^[^\s@<>()",;:\\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Trimmed and lower-cased; undefined when it is not an address. */
export function normaliseEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : undefined;
}

const short = z.string().trim().max(500);
/** A lead as the API and the CSV import accept it. */
export const leadInputSchema = z.object({
  email: z.string().max(320),
  name: short.optional(),
  company: short.optional(),
  title: short.optional(),
  domain: short.optional(),
  timezone: z
    .string()
    .trim()
    .max(100)
    .refine((zone) => zone === '' || isTimeZone(zone), 'an IANA time zone such as Europe/Berlin')
    .optional(),
  country: short.optional(),
  source: short.optional(),
  attributes: z
    .record(z.string().max(100), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
    .optional(),
  ownerId: z.string().uuid().nullable().optional(),
  status: z.enum(leadStatuses).optional(),
});
export type LeadInput = z.infer<typeof leadInputSchema>;

export interface LeadRow {
  id: string;
  workspace_id: string;
  email: string;
  name: string | null;
  company: string | null;
  title: string | null;
  domain: string | null;
  timezone: string | null;
  country: string | null;
  source: string | null;
  attributes: JsonObject;
  owner_id: string | null;
  status: LeadStatus;
  score: number | null;
  created_at: Date;
  updated_at: Date;
}

export function presentLead(row: LeadRow): Lead {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    company: row.company,
    title: row.title,
    domain: row.domain,
    timezone: row.timezone,
    country: row.country,
    source: row.source,
    attributes: row.attributes,
    ownerId: row.owner_id,
    status: row.status,
    score: row.score,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export interface LeadFilter {
  q?: string;
  status?: LeadStatus;
  company?: string;
  minScore?: number;
  ownerId?: string;
  limit: number;
  offset: number;
}

/** How a CSV row meets an existing lead: keep what is there and fill blanks, or overwrite. */
export type MergeRule = 'fill' | 'overwrite' | 'skip';

const blank = (value: unknown): boolean => value === null || value === undefined || value === '';

export class LeadStore {
  constructor(private readonly knex: Knex) {}

  private async assertOwner(workspaceId: string, ownerId: string | null | undefined): Promise<void> {
    if (!ownerId) return;
    const member = await this.knex('memberships')
      .where({ workspace_id: workspaceId, user_id: ownerId })
      .first<{ user_id: string } | undefined>('user_id');
    if (!member) throw invalidInput('ownerId', 'is not a member of this workspace');
  }

  private columns(input: LeadInput): Record<string, unknown> {
    const email = normaliseEmail(input.email);
    if (!email) throw invalidInput('email', 'is not an email address');
    return {
      email,
      name: input.name || null,
      company: input.company || null,
      title: input.title || null,
      domain: input.domain || email.split('@')[1] || null,
      timezone: input.timezone || null,
      country: input.country || null,
      source: input.source || null,
      attributes: JSON.stringify(input.attributes ?? {}),
      ...(input.ownerId !== undefined && { owner_id: input.ownerId }),
      ...(input.status && { status: input.status }),
    };
  }

  /**
   * Create a lead or merge into the one with its email. A new email is metered (`leads`, unique
   * per email): past the plan's limit this throws the plan's quota error and nothing is stored.
   */
  async upsert(
    workspaceId: string,
    input: LeadInput,
    rule: MergeRule = 'fill',
  ): Promise<{ lead: Lead; created: boolean; merged: boolean }> {
    const columns = this.columns(input);
    await this.assertOwner(workspaceId, input.ownerId);
    const email = columns.email as string;
    const existing = await this.knex<LeadRow>('outbound_leads')
      .where({ workspace_id: workspaceId, email })
      .first();
    if (existing) {
      if (rule === 'skip') return { lead: presentLead(existing), created: false, merged: false };
      const patch: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(columns)) {
        if (key === 'email' || key === 'attributes' || blank(value)) continue;
        if (rule === 'overwrite' || blank(existing[key as keyof LeadRow])) patch[key] = value;
      }
      const attributes =
        rule === 'overwrite'
          ? { ...existing.attributes, ...input.attributes }
          : { ...input.attributes, ...existing.attributes };
      const [row] = await this.knex<LeadRow>('outbound_leads')
        .where({ id: existing.id })
        .update({
          ...patch,
          attributes: JSON.stringify(attributes) as never,
          updated_at: this.knex.fn.now() as never,
        })
        .returning('*');
      return { lead: presentLead(row!), created: false, merged: true };
    }
    await billingFor(this.knex).usage.reserve(workspaceId, {
      meter: 'leads',
      quantity: 1,
      idempotencyKey: `lead:${email}`,
      subject: email,
      source: 'outbound',
    });
    const inserted = await this.knex('outbound_leads')
      .insert({ workspace_id: workspaceId, ...columns })
      .onConflict(['workspace_id', 'email'])
      .ignore()
      .returning('*');
    if (inserted.length === 0) return this.upsert(workspaceId, input, rule);
    return { lead: presentLead(inserted[0] as LeadRow), created: true, merged: false };
  }

  async get(workspaceId: string, id: string): Promise<Lead> {
    const row = await this.row(workspaceId, id);
    return presentLead(row);
  }

  async row(workspaceId: string, id: string): Promise<LeadRow> {
    if (!z.uuid().safeParse(id).success) throw notFoundError('The lead');
    const row = await this.knex<LeadRow>('outbound_leads').where({ workspace_id: workspaceId, id }).first();
    if (!row) throw notFoundError('The lead');
    return row;
  }

  async byId(workspaceId: string, id: string): Promise<LeadRow | undefined> {
    return this.knex<LeadRow>('outbound_leads').where({ workspace_id: workspaceId, id }).first();
  }

  async hasSettings(workspaceId: string): Promise<boolean> {
    return (
      (await this.knex('outbound_settings').where({ workspace_id: workspaceId }).first('workspace_id')) !==
      undefined
    );
  }

  async byEmail(workspaceId: string, email: string): Promise<LeadRow | undefined> {
    const normal = normaliseEmail(email);
    if (!normal) return undefined;
    return this.knex<LeadRow>('outbound_leads').where({ workspace_id: workspaceId, email: normal }).first();
  }

  async update(workspaceId: string, id: string, patch: Partial<LeadInput>): Promise<Lead> {
    const row = await this.row(workspaceId, id);
    await this.assertOwner(workspaceId, patch.ownerId);
    const changes: Record<string, unknown> = { updated_at: this.knex.fn.now() };
    for (const key of [
      'name',
      'company',
      'title',
      'domain',
      'timezone',
      'country',
      'source',
      'status',
    ] as const)
      if (patch[key] !== undefined) changes[key] = patch[key] === '' ? null : patch[key];
    if (patch.ownerId !== undefined) changes.owner_id = patch.ownerId;
    if (patch.attributes) changes.attributes = JSON.stringify({ ...row.attributes, ...patch.attributes });
    if (patch.email !== undefined) {
      const email = normaliseEmail(patch.email);
      if (!email) throw invalidInput('email', 'is not an email address');
      if (email !== row.email)
        throw conflictError(
          'A lead keeps its email; create a new lead for another address',
          'email_immutable',
        );
    }
    const [updated] = await this.knex<LeadRow>('outbound_leads')
      .where({ id: row.id })
      .update(changes as never)
      .returning('*');
    return presentLead(updated!);
  }

  async remove(workspaceId: string, id: string): Promise<void> {
    const row = await this.row(workspaceId, id);
    await this.knex('outbound_leads').where({ id: row.id }).delete();
  }

  private filtered(
    workspaceId: string,
    filter: Omit<LeadFilter, 'limit' | 'offset'>,
  ): Knex.QueryBuilder<LeadRow, LeadRow[]> {
    const query = this.knex<LeadRow>('outbound_leads').where({ workspace_id: workspaceId });
    if (filter.status) query.andWhere({ status: filter.status });
    if (filter.ownerId) query.andWhere({ owner_id: filter.ownerId });
    if (filter.minScore !== undefined) query.andWhere('score', '>=', filter.minScore);
    if (filter.company) query.andWhereILike('company', `%${escapeLike(filter.company)}%`);
    if (filter.q) {
      const like = `%${escapeLike(filter.q)}%`;
      query.andWhere((q) => {
        void q.whereILike('email', like).orWhereILike('name', like).orWhereILike('company', like);
      });
    }
    return query;
  }

  async list(workspaceId: string, filter: LeadFilter): Promise<{ items: Lead[]; total: number }> {
    const rows: LeadRow[] = await this.filtered(workspaceId, filter)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(filter.limit)
      .offset(filter.offset);
    const count = await this.filtered(workspaceId, filter).count<Array<{ count: string }>>('* as count');
    return { items: rows.map(presentLead), total: Number(count[0]?.count ?? 0) };
  }

  async ids(
    workspaceId: string,
    filter: Omit<LeadFilter, 'limit' | 'offset'>,
    cap: number,
  ): Promise<string[]> {
    const rows = await this.filtered(workspaceId, filter)
      .orderBy('created_at')
      .limit(cap)
      .select<Array<{ id: string }>>('id');
    return rows.map((row) => row.id);
  }

  async all(workspaceId: string, filter: Omit<LeadFilter, 'limit' | 'offset'>): Promise<Lead[]> {
    const rows = await this.filtered(workspaceId, filter).orderBy('created_at').limit(100_000);
    return rows.map(presentLead);
  }

  // The suppression list: checked before every send.
  async suppress(
    workspaceId: string,
    email: string,
    reason: SuppressionReason,
    note?: string,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<void> {
    const normal = normaliseEmail(email);
    if (!normal) throw invalidInput('email', 'is not an email address');
    await db('outbound_suppressions')
      .insert({ workspace_id: workspaceId, email: normal, reason, note: note ?? null })
      .onConflict(['workspace_id', 'email'])
      .ignore();
  }

  async unsuppress(workspaceId: string, email: string): Promise<boolean> {
    const normal = normaliseEmail(email) ?? email;
    return (
      (await this.knex('outbound_suppressions')
        .where({ workspace_id: workspaceId, email: normal })
        .delete()) > 0
    );
  }

  async suppressed(workspaceId: string, email: string): Promise<{ reason: SuppressionReason } | undefined> {
    return this.knex('outbound_suppressions')
      .where({ workspace_id: workspaceId, email })
      .first<{ reason: SuppressionReason } | undefined>('reason');
  }

  async suppressions(workspaceId: string, options: { limit: number; offset: number; q?: string }) {
    const query = this.knex('outbound_suppressions').where({ workspace_id: workspaceId });
    if (options.q) query.andWhereILike('email', `%${escapeLike(options.q)}%`);
    const rows = (await query
      .orderBy('created_at', 'desc')
      .limit(options.limit)
      .offset(options.offset)) as Array<{
      email: string;
      reason: SuppressionReason;
      note: string | null;
      created_at: Date;
    }>;
    return rows.map((row) => ({
      email: row.email,
      reason: row.reason,
      note: row.note,
      createdAt: row.created_at.toISOString(),
    }));
  }
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
