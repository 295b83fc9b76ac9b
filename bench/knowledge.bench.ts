/**
 * Knowledge Fusion search over 100,000 documents (issue 14: "fast on 100,000 documents").
 * A throwaway embedded Postgres; the documents are made in SQL with generate_series from a
 * vocabulary of sales-call sentences, competitor names and tags (about 1.5 KB of markdown each,
 * like a generated battle card or FAQ), all in ONE workspace — the worst case for the
 * workspace filter — plus 20,000 in 20 other workspaces. Each query runs once to warm up, then
 * SAMPLES times; figures are p50 / p95 per query class and p95 over all of them.
 * Then generation quality on the labelled transcripts in bench/data/knowledge-labelled.json
 * (see quality below).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openDatabase } from '../api/db/database.js';
import { searchDocuments, type SearchFilters } from '../api/knowledge/search.js';
import { knowledgeQuality } from './knowledge-quality.js';
import { median, percentile, type Figure } from './stats.js';

const DOCS = 100_000;
const SAMPLES = 20;

const sentences = [
  'The prospect said the price is too high for their budget this quarter',
  'We answered with a pilot for one team and payback within two months',
  'Security review and SOC 2 questions came up early in the call',
  'They already use a call recorder and asked how we are different',
  'Onboarding usually takes two weeks and our team sets up the integrations',
  'The champion needs sign-off from the VP of sales before procurement',
  'Reps save six hours a week because follow-up tasks are created automatically',
  'They asked whether the CRM sync works with Salesforce and HubSpot',
  'Timing is a concern because the renewal is next quarter',
  'Our discovery question about their current process landed well',
  'The buyer worried about data privacy and GDPR for call transcripts',
  'We showed the battle card and the objection handler in the demo',
  'Forecast accuracy improved for teams that logged every call',
  'They compared our pricing per seat with the annual contract they have',
  'Next step is a proposal and a technical workshop on Friday',
  'The team is small and asked for a starter plan with fewer seats',
  'Implementation effort was the main objection from the operations lead',
  'Coaching insights helped new reps ramp faster in their first month',
  'Legal asked for the data processing agreement before the trial',
  'Integration with the dialer and the calendar was a must have',
];
const competitors = Array.from({ length: 200 }, (_, i) => `Rival${i}`);
const tags = [
  'pricing',
  'security',
  'onboarding',
  'renewals',
  'enterprise',
  'smb',
  'emea',
  'na',
  'apac',
  'demo',
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Documents in SQL: workspaces, then rows with bodies drawn from the vocabulary by hashing. */
async function seed(knex: Knex): Promise<string> {
  await knex.raw(
    `INSERT INTO workspaces (name, slug) SELECT 'bench ' || i, 'kbench-' || i FROM generate_series(0, 20) i`,
  );
  const [main] = await knex('workspaces').where({ slug: 'kbench-0' }).select<Array<{ id: string }>>('id');
  const others = (
    await knex('workspaces')
      .whereNot({ slug: 'kbench-0' })
      .where('slug', 'like', 'kbench-%')
      .select<Array<{ id: string }>>('id')
  ).map((row) => row.id);
  const insert = (workspace: string, count: number, offset: number): Knex.Raw =>
    knex.raw(
      `INSERT INTO knowledge_documents (id, workspace_id, kind, topic_key, title, competitor, tags, sections, body_md, provider, updated_at)
       SELECT gen_random_uuid(), :ws,
         (ARRAY['battle_card','playbook','objection_handler','faq'])[1 + i % 4],
         NULL,
         CASE i % 4 WHEN 0 THEN 'Battle card: ' || (:competitors::text[])[1 + i % 200]
                    WHEN 1 THEN 'Playbook ' || i WHEN 2 THEN 'Objection handler ' || i ELSE 'FAQ ' || i END,
         CASE WHEN i % 4 = 0 THEN (:competitors::text[])[1 + i % 200] END,
         ARRAY[(:tags::text[])[1 + i % 10], (:tags::text[])[1 + (i / 10) % 10]],
         '[]'::jsonb,
         (SELECT string_agg('## Section ' || s || E'\\n\\n> ' || (:sentences::text[])[1 + abs(hashint4(i * 31 + s)) % 20]
                 || '. ' || (:sentences::text[])[1 + abs(hashint4(i * 17 + s * 7)) % 20]
                 || CASE WHEN s = 1 AND i % 4 = 0 THEN ' — compared with ' || (:competitors::text[])[1 + i % 200] ELSE '' END
                 || E'.\\n\\n**Answer that worked:** ' || (:sentences::text[])[1 + abs(hashint4(i * 13 + s * 3)) % 20] || '.', E'\\n\\n')
            FROM generate_series(1, 6) s),
         'local', now() - (i || ' minutes')::interval
       FROM generate_series(:from::int, :to::int) i`,
      { ws: workspace, competitors, tags, sentences, from: offset, to: offset + count - 1 },
    );
  // Indexes after the load, as a bulk import would.
  await knex.raw('DROP INDEX knowledge_documents_search_idx');
  for (let start = 0; start < DOCS; start += 20_000) await insert(main!.id, 20_000, start);
  for (const [index, id] of others.entries()) await insert(id, 1_000, DOCS + index * 1_000);
  await knex.raw('CREATE INDEX knowledge_documents_search_idx ON knowledge_documents USING GIN (search)');
  await knex.raw('VACUUM ANALYZE knowledge_documents');
  return main!.id;
}

function cases(): Array<[string, Omit<SearchFilters, 'limit' | 'offset'>]> {
  return [
    ['one competitor (0.5% of documents)', { q: 'Rival40' }],
    ['a phrase ("security review")', { q: '"security review"' }],
    ['two words (price budget)', { q: 'price budget' }],
    ['a common word (team, most documents)', { q: 'team' }],
    ['OR and -not (gdpr OR privacy -legal)', { q: 'gdpr OR privacy -legal' }],
    ['a word, kind filter (onboarding, faq)', { q: 'onboarding', kind: 'faq' }],
    ['a word, tag filter (pricing, #emea)', { q: 'pricing', tag: 'emea' }],
    ['competitor filter, no words', { competitor: 'Rival8' }],
    ['no words, newest first', {}],
    ['no match (zebra)', { q: 'zebra' }],
  ];
}

export async function benchKnowledge(): Promise<Figure[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'revflow-bench-knowledge-'));
  const db = await openDatabase({
    dataDir,
    env: { ...process.env, REVFLOW_PG_PORT: String(await freePort()) },
  });
  const figures: Figure[] = [];
  try {
    const started = performance.now();
    const ws = await seed(db.knex);
    const [count] = await db
      .knex('knowledge_documents')
      .where({ workspace_id: ws })
      .count<Array<{ count: string }>>('* as count');
    figures.push({ name: 'documents in the searched workspace', value: Number(count!.count), unit: 'docs' });
    figures.push({
      name: 'generating and indexing 120,000 documents (SQL)',
      value: (performance.now() - started) / 1000,
      unit: 's',
    });
    const all: number[] = [];
    // KNOWLEDGE_EXPLAIN=1: the plans of the broad queries, to stderr (for tuning, not a figure).
    if (process.env.KNOWLEDGE_EXPLAIN) {
      for (const q of ['"security review"', 'team']) {
        const plan = await db.knex.raw<{ rows: Array<{ 'QUERY PLAN': string }> }>(
          `EXPLAIN (ANALYZE, BUFFERS) SELECT d.id FROM knowledge_documents d
            WHERE d.workspace_id = ? AND d.search @@ websearch_to_tsquery('english', ?) ORDER BY d.updated_at DESC LIMIT 1000`,
          [ws, q],
        );
        process.stderr.write(`${q}:\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
      }
    }
    for (const [name, filters] of cases()) {
      const run = () => searchDocuments(db.knex, ws, { ...filters, limit: 20, offset: 0 });
      const first = await run();
      const samples: number[] = [];
      for (let i = 0; i < SAMPLES; i += 1) {
        const t0 = performance.now();
        await run();
        samples.push(performance.now() - t0);
      }
      all.push(...samples);
      figures.push({
        name: `search p50 / p95: ${name} — ${first.total}${first.totalCapped ? '+' : ''} hits`,
        value: median(samples),
        unit: `ms (p95 ${percentile(samples, 95).toFixed(1)} ms)`,
      });
    }
    figures.push({
      name: 'search p95, all query classes',
      value: percentile(all, 95),
      unit: 'ms',
      target: '≤ 200 ms',
    });
  } finally {
    await db.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  figures.push(...knowledgeQuality());
  return figures;
}
