import type { Knex } from 'knex';
import { conflictError, notFoundError } from '../../engine/errors.js';
import { isUuid, uuidv7 } from '../db/ids.js';
import type { SourceType } from './extract.js';
import { documentMarkdown, ordered, type DocumentKind, type Section } from './fuse.js';

/**
 * Knowledge documents in Postgres: every query is scoped by workspace id; every change bumps
 * the version and writes the whole document to knowledge_versions (history), in one transaction
 * that also takes the row lock, so two writers never lose each other's change.
 */

export interface DocumentRow {
  id: string;
  workspace_id: string;
  kind: DocumentKind;
  topic_key: string | null;
  title: string;
  competitor: string | null;
  tags: string[];
  sections: Section[];
  body_md: string;
  version: number;
  provider: string;
  created_by: string | null;
  updated_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface SourceLink {
  sourceType: SourceType;
  sourceRef: string;
  label: string;
  excerpt: string;
}

export type Change = 'created' | 'generated' | 'edited';

const COLUMNS = [
  'id',
  'workspace_id',
  'kind',
  'topic_key',
  'title',
  'competitor',
  'tags',
  'sections',
  'body_md',
  'version',
  'provider',
  'created_by',
  'updated_by',
  'created_at',
  'updated_at',
];

/** The provider a document as a whole shows: one provider, or "mixed". */
export function providerOf(sections: readonly Section[]): string {
  const providers = new Set(sections.map((s) => s.provider));
  return providers.size === 0 ? 'human' : providers.size === 1 ? [...providers][0]! : 'mixed';
}

export class KnowledgeStore {
  constructor(private readonly knex: Knex) {}

  async get(workspaceId: string, id: string, trx: Knex = this.knex, lock = false): Promise<DocumentRow> {
    if (!isUuid(id)) throw notFoundError('The document');
    const query = trx('knowledge_documents').where({ workspace_id: workspaceId, id });
    const row = await (lock ? query.forUpdate() : query).first<DocumentRow | undefined>(COLUMNS);
    if (!row) throw notFoundError('The document');
    return row;
  }

  async byTopic(workspaceId: string, topicKey: string, trx: Knex): Promise<DocumentRow | undefined> {
    return trx('knowledge_documents')
      .where({ workspace_id: workspaceId, topic_key: topicKey })
      .forUpdate()
      .first<DocumentRow | undefined>(COLUMNS);
  }

  async faqStems(workspaceId: string): Promise<Map<string, string[]>> {
    const row = await this.knex<DocumentRow>('knowledge_documents')
      .select('sections')
      .where({ workspace_id: workspaceId, topic_key: 'faq' })
      .first();
    return new Map(
      (row?.sections ?? []).map(
        (s) => [s.key, s.items.find((i) => i.stems)?.stems ?? []] as [string, string[]],
      ),
    );
  }

  /** A new document (version 1) with its first history entry. */
  async create(
    trx: Knex,
    workspaceId: string,
    doc: {
      kind: DocumentKind;
      topicKey: string | null;
      title: string;
      competitor: string | null;
      tags: string[];
      sections: Section[];
    },
    userId: string | null,
    change: Change,
  ): Promise<DocumentRow> {
    const sections = ordered(doc.kind, doc.sections);
    const row = {
      id: uuidv7(),
      workspace_id: workspaceId,
      kind: doc.kind,
      topic_key: doc.topicKey,
      title: doc.title,
      competitor: doc.competitor,
      tags: doc.tags,
      sections: JSON.stringify(sections),
      body_md: documentMarkdown(doc.title, sections),
      version: 1,
      provider: providerOf(sections),
      created_by: userId,
      updated_by: userId,
    };
    await trx('knowledge_documents').insert(row);
    await this.history(trx, row.id, 1, doc.title, sections, row.body_md, change, row.provider, userId);
    return this.get(workspaceId, row.id, trx);
  }

  /** The next version of a document (its row locked by the caller with `get(..., lock)`). */
  async update(
    trx: Knex,
    current: DocumentRow,
    next: { title: string; tags: string[]; competitor: string | null; sections: Section[] },
    userId: string | null,
    change: Change,
    expectedVersion?: number,
  ): Promise<DocumentRow> {
    if (expectedVersion !== undefined && expectedVersion !== current.version)
      throw conflictError(
        `The document changed since version ${expectedVersion} (it is at version ${current.version}); reload and edit again`,
        'version_conflict',
        { version: current.version },
      );
    const sections = ordered(current.kind, next.sections);
    const body = documentMarkdown(next.title, sections);
    const version = current.version + 1;
    const provider = providerOf(sections);
    await trx('knowledge_documents')
      .where({ id: current.id, workspace_id: current.workspace_id })
      .update({
        title: next.title,
        tags: next.tags,
        competitor: next.competitor,
        sections: JSON.stringify(sections),
        body_md: body,
        version,
        provider,
        updated_by: userId,
        updated_at: new Date(),
      });
    await this.history(trx, current.id, version, next.title, sections, body, change, provider, userId);
    return this.get(current.workspace_id, current.id, trx);
  }

  private async history(
    trx: Knex,
    documentId: string,
    version: number,
    title: string,
    sections: Section[],
    body: string,
    change: Change,
    provider: string,
    userId: string | null,
  ): Promise<void> {
    await trx('knowledge_versions').insert({
      document_id: documentId,
      version,
      title,
      // History keeps the text, not the quote lists (those live on in the document).
      sections: JSON.stringify(sections.map((s) => ({ ...s, items: [] }))),
      body_md: body,
      change,
      provider,
      author_id: userId,
    });
  }

  async link(trx: Knex, documentId: string, sources: readonly SourceLink[]): Promise<void> {
    if (sources.length === 0) return;
    await trx('knowledge_sources')
      .insert(
        sources.map((s) => ({
          document_id: documentId,
          source_type: s.sourceType,
          source_ref: s.sourceRef,
          label: s.label.slice(0, 300),
          excerpt: s.excerpt.slice(0, 500),
        })),
      )
      .onConflict(['document_id', 'source_type', 'source_ref'])
      .merge(['label', 'excerpt']);
  }

  async sources(documentId: string): Promise<SourceLink[]> {
    const rows = await this.knex('knowledge_sources')
      .where({ document_id: documentId })
      .orderBy('added_at', 'desc')
      .limit(200)
      .select<Array<{ source_type: SourceType; source_ref: string; label: string; excerpt: string }>>();
    return rows.map((r) => ({
      sourceType: r.source_type,
      sourceRef: r.source_ref,
      label: r.label,
      excerpt: r.excerpt,
    }));
  }

  async versions(
    workspaceId: string,
    documentId: string,
  ): Promise<
    Array<{
      version: number;
      title: string;
      change: Change;
      provider: string;
      authorId: string | null;
      createdAt: string;
      bodyMd: string;
      humanSections: string[];
    }>
  > {
    await this.get(workspaceId, documentId);
    const rows = await this.knex('knowledge_versions')
      .where({ document_id: documentId })
      .orderBy('version', 'desc')
      .limit(100)
      .select<
        Array<{
          version: number;
          title: string;
          change: Change;
          provider: string;
          author_id: string | null;
          created_at: Date;
          body_md: string;
          sections: Section[];
        }>
      >();
    return rows.map((r) => ({
      version: r.version,
      title: r.title,
      change: r.change,
      provider: r.provider,
      authorId: r.author_id,
      createdAt: new Date(r.created_at).toISOString(),
      bodyMd: r.body_md,
      humanSections: r.sections.filter((s) => s.humanEdited).map((s) => s.key),
    }));
  }

  async remove(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    await this.knex('knowledge_documents').where({ workspace_id: workspaceId, id }).delete();
  }

  async recordView(workspaceId: string, id: string, userId: string): Promise<void> {
    await this.get(workspaceId, id);
    await this.knex.raw(
      `INSERT INTO knowledge_views (document_id, user_id) VALUES (?, ?)
       ON CONFLICT (document_id, user_id) DO UPDATE SET count = knowledge_views.count + 1, last_viewed_at = now()`,
      [id, userId],
    );
  }

  async views(
    documentId: string,
  ): Promise<
    Array<{ userId: string; email: string | null; name: string | null; count: number; lastViewedAt: string }>
  > {
    const rows = await this.knex('knowledge_views as v')
      .leftJoin('users as u', 'u.id', 'v.user_id')
      .where('v.document_id', documentId)
      .orderBy('v.last_viewed_at', 'desc')
      .limit(200)
      .select<
        Array<{
          user_id: string;
          email: string | null;
          name: string | null;
          count: number;
          last_viewed_at: Date;
        }>
      >('v.user_id', 'u.email', 'u.name', 'v.count', 'v.last_viewed_at');
    return rows.map((r) => ({
      userId: r.user_id,
      email: r.email,
      name: r.name,
      count: r.count,
      lastViewedAt: new Date(r.last_viewed_at).toISOString(),
    }));
  }

  async competitors(workspaceId: string): Promise<string[]> {
    const row = await this.knex('knowledge_settings')
      .where({ workspace_id: workspaceId })
      .first<{ competitors: string[] } | undefined>();
    return row?.competitors ?? [];
  }

  async setCompetitors(workspaceId: string, competitors: string[], userId: string | null): Promise<string[]> {
    await this.knex('knowledge_settings')
      .insert({
        workspace_id: workspaceId,
        competitors: JSON.stringify(competitors),
        updated_by: userId,
        updated_at: new Date(),
      })
      .onConflict('workspace_id')
      .merge();
    return competitors;
  }
}
