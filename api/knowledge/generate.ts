import type { Knex } from 'knex';
import type { AiService } from '../../nodes/ai/service.js';
import type {
  KnowledgeGenerated,
  KnowledgeGenerateRequest,
  KnowledgeGenerateResult,
  KnowledgeProvider,
} from '../../nodes/knowledge/service.js';
import { aiConfigFromEnv } from '../ai/config.js';
import { AiSettingsStore } from '../ai/settings.js';
import { extract, type Extraction, type Material, type MentionItem } from './extract.js';
import {
  competitorKey,
  mergeItems,
  renderSection,
  sameItem,
  topicUpdates,
  type Section,
  type SectionItem,
  type TopicUpdate,
} from './fuse.js';
import { callMaterials, emailMaterials, excerptOf, noSources, textMaterial } from './sources.js';
import { KnowledgeStore, type SourceLink } from './store.js';

/**
 * knowledge.generate: sources → extraction (local, rule-based) → topic updates → documents.
 * Each topic (objections, FAQ, playbook, one battle card per competitor) is one document, found
 * by its topic key and changed in its own transaction with the row locked. A section a human
 * edited keeps its text: its new quotes are stored, its body is not rewritten. With an
 * OpenAI-compatible model the changed sections are written as prose from the same quotes.
 */

export interface GenerateDeps {
  knex: Knex;
  ai: AiService | undefined;
  env: NodeJS.ProcessEnv;
}

async function resolveProvider(
  deps: GenerateDeps,
  workspaceId: string,
  asked?: KnowledgeProvider,
): Promise<KnowledgeProvider> {
  if (asked) return asked;
  const saved = await new AiSettingsStore(deps.knex).get(workspaceId);
  if (saved) return saved.provider;
  return aiConfigFromEnv(deps.env).endpoint ? 'openai-compatible' : 'local';
}

async function materialsOf(
  knex: Knex,
  workspaceId: string,
  request: KnowledgeGenerateRequest,
): Promise<Material[]> {
  const materials = [
    ...(await callMaterials(knex, workspaceId, request.callIds ?? [])),
    ...(await emailMaterials(knex, workspaceId, request.emailIds ?? [])),
    ...(request.texts ?? []).map((t) => textMaterial('text', t.title, t.text)),
    ...(request.run ? [textMaterial('run', request.run.title, request.run.text, request.run.runId)] : []),
  ];
  if (materials.length === 0) throw noSources();
  return materials;
}

/** Remembers each source's competitor mentions; answers which competitors have earned a card, with all their mentions. */
async function battleCards(
  knex: Knex,
  workspaceId: string,
  mentions: MentionItem[],
  listed: readonly string[],
): Promise<{ cards: Map<string, string>; mentions: MentionItem[] }> {
  const bySource = new Map<string, MentionItem[]>();
  for (const m of mentions) {
    const key = `${competitorKey(m.name)}\u0000${m.sourceType}\u0000${m.sourceRef}`;
    bySource.set(key, [...(bySource.get(key) ?? []), m]);
  }
  for (const [key, items] of bySource) {
    const [nameKey, sourceType, sourceRef] = key.split('\u0000') as [string, string, string];
    await knex('knowledge_mentions')
      .insert({
        workspace_id: workspaceId,
        name_key: nameKey,
        name: items[0]!.name,
        source_type: sourceType,
        source_ref: sourceRef,
        items: JSON.stringify(items),
      })
      .onConflict(['workspace_id', 'name_key', 'source_type', 'source_ref'])
      .merge(['items']);
  }
  const keys = [...new Set(mentions.map((m) => competitorKey(m.name)))];
  const cards = new Map<string, string>();
  const all: MentionItem[] = [];
  if (keys.length === 0) return { cards, mentions: all };
  const listedByKey = new Map(listed.map((name) => [competitorKey(name), name]));
  const rows = await knex('knowledge_mentions')
    .where({ workspace_id: workspaceId })
    .whereIn('name_key', keys)
    .orderBy('created_at', 'asc')
    .select<Array<{ name_key: string; name: string; items: MentionItem[] }>>('name_key', 'name', 'items');
  const existing = new Set(
    (
      await knex('knowledge_documents')
        .where({ workspace_id: workspaceId })
        .whereIn(
          'topic_key',
          keys.map((k) => `competitor:${k}`),
        )
        .select<Array<{ topic_key: string }>>('topic_key')
    ).map((r) => r.topic_key.slice('competitor:'.length)),
  );
  for (const key of keys) {
    const sources = rows.filter((r) => r.name_key === key);
    // Listed, already carded, or named in two different sources: a name seen once may be anyone's company.
    if (listedByKey.has(key) || existing.has(key) || sources.length >= 2) {
      cards.set(key, listedByKey.get(key) ?? sources[0]?.name ?? key);
      all.push(...sources.flatMap((r) => r.items));
    }
  }
  return { cards, mentions: all };
}

async function prose(
  deps: GenerateDeps,
  workspaceId: string,
  update: TopicUpdate,
  heading: string,
  items: SectionItem[],
  request: KnowledgeGenerateRequest,
  callIndex: number,
): Promise<{ body: string; provider: string }> {
  const facts = items
    .slice(0, 15)
    .map(
      (i) =>
        `- "${i.text}"${i.answer ? ` → answer: "${i.answer}"${i.worked ? ' (it worked)' : ''}` : ''} [${i.speaker}, ${i.label}]`,
    )
    .join('\n');
  const result = await deps.ai!.generate(
    workspaceId,
    {
      system:
        'You write sales enablement documents in concise markdown (no headings, no HTML). Use only the facts given; keep quotes verbatim in quotation marks.',
      prompt: `Document: ${update.title}\nSection: ${heading}\nFacts from calls and emails:\n${facts}\n\nWrite this section.`,
    },
    { provider: 'openai-compatible', idempotencyKey: request.idempotencyKey, callIndex, maxTokens: 600 },
  );
  return { body: result.text.trim(), provider: result.provider };
}

/** Two generations creating the same topic's document at once: the loser runs again and updates the winner's. */
async function oncePastRace<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as { code?: unknown }).code !== '23505') throw error;
    return work();
  }
}

export async function generateKnowledge(
  deps: GenerateDeps,
  workspaceId: string,
  request: KnowledgeGenerateRequest,
): Promise<KnowledgeGenerateResult> {
  const { knex } = deps;
  const store = new KnowledgeStore(knex);
  const provider = await resolveProvider(deps, workspaceId, request.provider);
  const materials = await materialsOf(knex, workspaceId, request);
  const listed = await store.competitors(workspaceId);
  const extraction: Extraction = { objections: [], mentions: [], questions: [], talk: [] };
  for (const material of materials) {
    const found = extract(material, listed);
    extraction.objections.push(...found.objections);
    extraction.mentions.push(...found.mentions);
    extraction.questions.push(...found.questions);
    extraction.talk.push(...found.talk);
  }
  const { cards, mentions } = await battleCards(knex, workspaceId, extraction.mentions, listed);
  const updates = topicUpdates({ ...extraction, mentions }, cards, await store.faqStems(workspaceId));
  const kinds = request.kinds ? new Set(request.kinds) : undefined;
  const excerpts = new Map(materials.map((m) => [`${m.type}:${m.ref}`, excerptOf(m)]));
  const documents: KnowledgeGenerated[] = [];
  let callIndex = 0;
  for (const update of updates.values()) {
    if (kinds && !kinds.has(update.kind)) continue;
    documents.push(
      await oncePastRace(() =>
        knex.transaction(async (trx) => {
          const current = await store.byTopic(workspaceId, update.topicKey, trx);
          const sections: Section[] = current ? current.sections.map((s) => ({ ...s })) : [];
          const updatedSections: string[] = [];
          const keptHumanSections: string[] = [];
          for (const [key, fresh] of update.sections) {
            let section = sections.find((s) => s.key === key);
            const items = mergeItems(section?.items ?? [], fresh.items);
            // Compared by identity, not JSON: jsonb hands keys back in its own order.
            const old = section?.items;
            if (old && old.length === items.length && items.every((i, k) => sameItem(i, old[k]!))) continue;
            if (section?.humanEdited) {
              section.items = items;
              keptHumanSections.push(key);
              continue;
            }
            const written =
              provider === 'openai-compatible' && deps.ai
                ? await prose(deps, workspaceId, update, fresh.heading, items, request, callIndex++)
                : { body: renderSection(key, items), provider: 'local' };
            if (!section) {
              section = {
                key,
                heading: fresh.heading,
                body: '',
                provider: written.provider,
                humanEdited: false,
                editedBy: null,
                updatedAt: '',
                items: [],
              };
              sections.push(section);
            }
            Object.assign(section, {
              body: written.body,
              provider: written.provider,
              items,
              updatedAt: new Date().toISOString(),
            });
            updatedSections.push(key);
          }
          const links: SourceLink[] = [];
          for (const fresh of update.sections.values())
            for (const i of fresh.items)
              if (!links.some((l) => l.sourceType === i.sourceType && l.sourceRef === i.sourceRef))
                links.push({
                  sourceType: i.sourceType,
                  sourceRef: i.sourceRef,
                  label: i.label,
                  excerpt: excerpts.get(`${i.sourceType}:${i.sourceRef}`) ?? i.text,
                });
          let saved = current;
          if (!current)
            saved = await store.create(
              trx,
              workspaceId,
              {
                kind: update.kind,
                topicKey: update.topicKey,
                title: update.title,
                competitor: update.competitor,
                tags: update.tags,
                sections,
              },
              request.userId,
              'generated',
            );
          else if (updatedSections.length > 0 || keptHumanSections.length > 0)
            saved = await store.update(
              trx,
              current,
              { title: current.title, tags: current.tags, competitor: current.competitor, sections },
              request.userId,
              'generated',
            );
          await store.link(trx, saved!.id, links);
          return {
            id: saved!.id,
            kind: saved!.kind,
            title: saved!.title,
            competitor: saved!.competitor,
            version: saved!.version,
            created: !current,
            updatedSections,
            keptHumanSections,
          };
        }),
      ),
    );
  }
  return {
    provider,
    documents,
    found: {
      objections: extraction.objections.length,
      competitorMentions: extraction.mentions.length,
      questions: extraction.questions.length,
      talkTracks: extraction.talk.length,
    },
  };
}
