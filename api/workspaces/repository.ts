import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { isUuid, uuidv7 } from '../db/ids.js';
import type { Role } from '../http/route.js';
import { DEFAULT_PLAN } from '../billing/plans.js';

/** The one repository of workspaces and their members (sign-up, the CLI, tests, the routes). */

export interface WorkspaceRow {
  id: string;
  name: string;
  slug: string;
  plan: string;
  created_at: Date;
}

export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
}

/** A workspace as tests, the CLI and the engine's callers see it. */
export interface WorkspaceRecord {
  id: string;
  name: string;
  slug: string;
  plan: string;
  createdAt: Date;
}

export interface NewWorkspace {
  name: string;
  /** Default: made from the name; a suffix is added when it is taken. */
  slug?: string;
  plan?: string;
}

/** Lowercase letters, digits and dashes, for URLs. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return slug === '' ? 'workspace' : slug;
}

const toRecord = (row: WorkspaceRow): WorkspaceRecord => ({
  id: row.id,
  name: row.name,
  slug: row.slug,
  plan: row.plan,
  createdAt: row.created_at,
});

/** Create a workspace without an owner (tests, the CLI). An explicit slug that is taken is an error. */
export async function createWorkspace(knex: Knex, workspace: NewWorkspace): Promise<WorkspaceRecord> {
  const base = workspace.slug ?? slugify(workspace.name);
  for (let attempt = 0; attempt < 6; attempt++) {
    const slug = attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`;
    const [row] = await knex<WorkspaceRow>('workspaces')
      .insert({ id: uuidv7(), name: workspace.name, slug, plan: workspace.plan ?? DEFAULT_PLAN })
      .onConflict('slug')
      .ignore()
      .returning('*');
    if (row) return toRecord(row);
    if (workspace.slug !== undefined) throw new Error(`the workspace slug "${slug}" is taken`);
  }
  throw new Error(`no free slug for workspace "${workspace.name}"`);
}

/** The workspace with this slug, created if missing (e.g. the CLI's own workspace). */
export async function ensureWorkspace(
  knex: Knex,
  workspace: NewWorkspace & { slug: string },
): Promise<WorkspaceRecord> {
  await knex('workspaces')
    .insert({
      id: uuidv7(),
      name: workspace.name,
      slug: workspace.slug,
      plan: workspace.plan ?? DEFAULT_PLAN,
    })
    .onConflict('slug')
    .ignore();
  const row = await knex<WorkspaceRow>('workspaces').where({ slug: workspace.slug }).first();
  if (!row) throw new Error(`workspace "${workspace.slug}" vanished while being ensured`);
  return toRecord(row);
}

export async function getWorkspace(knex: Knex, id: string): Promise<WorkspaceRecord | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await findWorkspace(knex, id);
  return row && toRecord(row);
}

/**
 * A workspace and its owner, inside the caller's transaction. The slug gets a random suffix
 * when taken; ON CONFLICT DO NOTHING (not a caught error) keeps the transaction usable.
 */
export async function provisionWorkspace(
  trx: Knex.Transaction,
  input: { name: string; ownerId: string; plan?: string },
): Promise<WorkspaceRow> {
  const base = slugify(input.name);
  for (let attempt = 0; attempt < 6; attempt++) {
    const slug = attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`;
    const [row] = await trx<WorkspaceRow>('workspaces')
      .insert({ id: uuidv7(), name: input.name, slug, plan: input.plan ?? DEFAULT_PLAN })
      .onConflict('slug')
      .ignore()
      .returning('*');
    if (row) {
      await trx('memberships').insert({ workspace_id: row.id, user_id: input.ownerId, role: 'owner' });
      return row;
    }
  }
  throw new Error(`no free slug for workspace "${input.name}"`);
}

export async function findWorkspace(knex: Knex, id: string): Promise<WorkspaceRow | undefined> {
  return knex<WorkspaceRow>('workspaces').where({ id }).first();
}

/**
 * Lock the workspace row for the rest of the transaction. Everything that changes who holds a
 * seat or an owner role takes it first, so concurrent invites, accepts and demotions queue
 * instead of each seeing a count the other is about to change.
 */
export async function lockWorkspace(trx: Knex.Transaction, id: string): Promise<WorkspaceRow> {
  const row = await trx<WorkspaceRow>('workspaces').where({ id }).forUpdate().first();
  if (!row) throw new Error(`workspace ${id} vanished`);
  return row;
}

export async function renameWorkspace(
  knex: Knex,
  id: string,
  name: string,
): Promise<WorkspaceRow | undefined> {
  const [row] = await knex<WorkspaceRow>('workspaces').where({ id }).update({ name }).returning('*');
  return row;
}

export async function workspacesOfUser(
  knex: Knex,
  userId: string,
): Promise<Array<WorkspaceRow & { role: Role }>> {
  return knex('workspaces as w')
    .join('memberships as m', 'm.workspace_id', 'w.id')
    .where('m.user_id', userId)
    .orderBy('w.created_at')
    .select<Array<WorkspaceRow & { role: Role }>>('w.*', 'm.role');
}

const memberColumns = ['u.id as user_id', 'u.email', 'u.name', 'm.role', 'm.created_at'];

export async function listMembers(knex: Knex, workspaceId: string): Promise<MemberRow[]> {
  return knex('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.workspace_id', workspaceId)
    .orderBy('m.created_at')
    .select<MemberRow[]>(memberColumns);
}

export async function findMember(
  knex: Knex,
  workspaceId: string,
  userId: string,
): Promise<MemberRow | undefined> {
  return knex('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where({ 'm.workspace_id': workspaceId, 'm.user_id': userId })
    .first<MemberRow | undefined>(memberColumns);
}

export async function isMemberByEmail(knex: Knex, workspaceId: string, email: string): Promise<boolean> {
  const row = await knex('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where({ 'm.workspace_id': workspaceId, 'u.email': email })
    .first<{ user_id: string } | undefined>('m.user_id');
  return row !== undefined;
}

export async function countMembers(knex: Knex, workspaceId: string): Promise<number> {
  const row = await knex('memberships')
    .where({ workspace_id: workspaceId })
    .count<{ count: string }>('* as count')
    .first();
  return Number(row?.count ?? 0);
}

export async function countOwners(knex: Knex, workspaceId: string): Promise<number> {
  const row = await knex('memberships')
    .where({ workspace_id: workspaceId, role: 'owner' })
    .count<{ count: string }>('* as count')
    .first();
  return Number(row?.count ?? 0);
}

export async function addMember(knex: Knex, workspaceId: string, userId: string, role: Role): Promise<void> {
  await knex('memberships').insert({ workspace_id: workspaceId, user_id: userId, role });
}

export async function setMemberRole(
  knex: Knex,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<void> {
  await knex('memberships')
    .where({ workspace_id: workspaceId, user_id: userId })
    .update({ role, updated_at: knex.fn.now() });
}

export async function removeMember(knex: Knex, workspaceId: string, userId: string): Promise<void> {
  await knex('memberships').where({ workspace_id: workspaceId, user_id: userId }).delete();
}
