import type { Knex } from 'knex';
import type { DocumentKind } from './fuse.js';

/**
 * Full-text search over a workspace's documents: `websearch_to_tsquery` (quotes, OR, -not) against
 * the generated, weighted tsvector (title and competitor A, tags B, body C) through its GIN index,
 * ranked with ts_rank; snippets come from ts_headline over the ranked page only. Totals are
 * counted up to COUNT_CAP.
 */

export interface SearchFilters {
  q?: string | undefined;
  kind?: DocumentKind | undefined;
  competitor?: string | undefined;
  tag?: string | undefined;
  limit: number;
  offset: number;
}

export interface SearchHit {
  id: string;
  kind: DocumentKind;
  title: string;
  competitor: string | null;
  tags: string[];
  version: number;
  provider: string;
  updatedAt: string;
  rank: number | null;
  /** The snippet as text runs; `hit` marks the matched words (rendered as <mark> by the page, never as HTML). */
  snippet: Array<{ text: string; hit: boolean }>;
}

/** A broad query ranks its newest this many matches (see below). */
export const CANDIDATES = 1_000;
/** Totals are counted up to this ("1,000+"). */
export const COUNT_CAP = 1_000;

// Markers no document contains (private-use code points) so the snippet splits safely into runs.
const START = '\uE000';
const STOP = '\uE001';

/** Markdown escapes and markup out of a snippet: what a reader sees, not the source. */
function plain(text: string): string {
  return text
    .replace(/\\(.)/g, '$1')
    .replace(/^#+\s*/gm, '')
    .replace(/^>\s?/gm, '')
    .replace(/\*\*|__/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function snippetRuns(headline: string): Array<{ text: string; hit: boolean }> {
  const runs: Array<{ text: string; hit: boolean }> = [];
  for (const [index, part] of headline.split(new RegExp(`[${START}${STOP}]`)).entries()) {
    const text = plain(part);
    if (text === '') continue;
    runs.push({
      text: index % 2 === 1 ? text : ` ${text} `.replace(/^ (?=[.,;:!?])/, ''),
      hit: index % 2 === 1,
    });
  }
  return runs;
}

interface Row {
  id: string;
  kind: DocumentKind;
  title: string;
  competitor: string | null;
  tags: string[];
  version: number;
  provider: string;
  updated_at: Date;
  rank: number | null;
  headline: string | null;
  total: string | number;
}

export async function searchDocuments(
  knex: Knex,
  workspaceId: string,
  filters: SearchFilters,
): Promise<{ items: SearchHit[]; total: number; totalCapped: boolean }> {
  const q = filters.q?.trim() ?? '';
  const where: string[] = ['d.workspace_id = ?'];
  const bindings: unknown[] = [workspaceId];
  if (filters.kind) {
    where.push('d.kind = ?');
    bindings.push(filters.kind);
  }
  if (filters.competitor) {
    where.push('lower(d.competitor) = lower(?)');
    bindings.push(filters.competitor);
  }
  if (filters.tag) {
    where.push('d.tags @> ARRAY[?]::text[]');
    bindings.push(filters.tag);
  }
  const options = `StartSel=${START}, StopSel=${STOP}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;
  const filter = where.join(' AND ');
  let sql: string;
  let all: unknown[];
  if (q !== '') {
    // Ranking reads every candidate's tsvector: a broad query ranks its newest CANDIDATES matches
    // (walked newest first through the (workspace_id, updated_at) index), so it costs the same on
    // 100,000 documents as on 5,000; a selective query ranks all of its matches (GIN index).
    // The tsquery is written inline at each use, not joined from a CTE: as a constant the planner
    // sees how selective it is (a CTE value hides that and turns a broad query into a full GIN scan).
    const tsq = `websearch_to_tsquery('english', ?)`;
    sql = `
      WITH matches AS (
        SELECT d.id, d.search, d.updated_at FROM knowledge_documents d
        WHERE ${filter} AND d.search @@ ${tsq}
        ORDER BY d.updated_at DESC
        LIMIT ${CANDIDATES}
      ),
      page AS (
        SELECT m.id, ts_rank(m.search, ${tsq}) AS rank, m.updated_at FROM matches m
        ORDER BY rank DESC, m.updated_at DESC
        LIMIT ? OFFSET ?
      )
      SELECT d.id, d.kind, d.title, d.competitor, d.tags, d.version, d.provider, d.updated_at, page.rank,
        (SELECT count(*) FROM (SELECT 1 FROM knowledge_documents d WHERE ${filter} AND d.search @@ ${tsq} LIMIT ${COUNT_CAP + 1}) c) AS total,
        ts_headline('english', left(d.body_md, 20000), ${tsq}, ?) AS headline
      FROM page JOIN knowledge_documents d ON d.id = page.id
      ORDER BY page.rank DESC, page.updated_at DESC`;
    all = [...bindings, q, q, filters.limit, filters.offset, ...bindings, q, q, options];
  } else {
    sql = `
      SELECT d.id, d.kind, d.title, d.competitor, d.tags, d.version, d.provider, d.updated_at, NULL::real AS rank,
        (SELECT count(*) FROM (SELECT 1 FROM knowledge_documents d WHERE ${filter} LIMIT ${COUNT_CAP + 1}) c) AS total,
        left(d.body_md, 400) AS headline
      FROM knowledge_documents d
      WHERE ${filter}
      ORDER BY d.updated_at DESC
      LIMIT ? OFFSET ?`;
    all = [...bindings, ...bindings, filters.limit, filters.offset];
  }
  const result = await knex.raw<{ rows: Row[] }>(sql, all as Knex.RawBinding[]);
  const rows = result.rows;
  const total = rows.length > 0 ? Number(rows[0]!.total) : 0;
  return {
    total: Math.min(total, COUNT_CAP),
    totalCapped: total > COUNT_CAP,
    items: rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      title: r.title,
      competitor: r.competitor,
      tags: r.tags,
      version: r.version,
      provider: r.provider,
      updatedAt: new Date(r.updated_at).toISOString(),
      rank: r.rank === null ? null : Math.round(Number(r.rank) * 1e4) / 1e4,
      // Without a query the snippet is the document's start, minus its title line.
      snippet: snippetRuns(
        q !== '' ? (r.headline ?? '') : (r.headline ?? '').replace(/^#[^\n]*\n+/, '').slice(0, 240),
      ),
    })),
  };
}
