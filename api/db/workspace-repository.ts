import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { isUuid, uuidv7 } from './ids.js';
import { WorkspaceModel } from './models/workspace-model.js';

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

const UNIQUE_VIOLATION = '23505';

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

function toRecord(model: WorkspaceModel): WorkspaceRecord {
  return { id: model.id, name: model.name, slug: model.slug, plan: model.plan, createdAt: model.createdAt };
}

/** Create a workspace (tests, the CLI, sign-up). An explicit slug that is taken is an error. */
export async function createWorkspace(knex: Knex, workspace: NewWorkspace): Promise<WorkspaceRecord> {
  const base = workspace.slug ?? slugify(workspace.name);
  for (let attempt = 0; ; attempt++) {
    const slug = attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`;
    try {
      const row = await WorkspaceModel.query(knex).insertAndFetch({
        id: uuidv7(),
        name: workspace.name,
        slug,
        plan: workspace.plan ?? 'free',
      });
      return toRecord(row);
    } catch (error) {
      const taken = (error as { nativeError?: { code?: string } }).nativeError?.code === UNIQUE_VIOLATION;
      if (!taken || workspace.slug !== undefined || attempt >= 5) throw error;
    }
  }
}

/** The workspace with this slug, created if missing (e.g. the CLI's own workspace). */
export async function ensureWorkspace(
  knex: Knex,
  workspace: NewWorkspace & { slug: string },
): Promise<WorkspaceRecord> {
  await WorkspaceModel.query(knex)
    .insert({ id: uuidv7(), name: workspace.name, slug: workspace.slug, plan: workspace.plan ?? 'free' })
    .onConflict('slug')
    .ignore();
  const row = await WorkspaceModel.query(knex).findOne({ slug: workspace.slug });
  if (!row) throw new Error(`workspace "${workspace.slug}" vanished while being ensured`);
  return toRecord(row);
}

export async function getWorkspace(knex: Knex, id: string): Promise<WorkspaceRecord | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await WorkspaceModel.query(knex).findById(id);
  return row && toRecord(row);
}
