import {
  categoryTitles,
  overlap,
  type Extraction,
  type Origin,
  type SourceType,
  type TalkStage,
} from './extract.js';

/**
 * From extracted items to document sections. Each generated section keeps its items (quotes with
 * where they came from), so regeneration merges new items into old ones and re-renders the
 * section's markdown — unless a human edited that section, whose text then stays as written.
 */

export const documentKinds = ['battle_card', 'playbook', 'objection_handler', 'faq'] as const;
export type DocumentKind = (typeof documentKinds)[number];

export interface SectionItem {
  text: string;
  answer: string | null;
  worked: boolean;
  sourceType: SourceType;
  sourceRef: string;
  label: string;
  speaker: string;
  startMs: number | null;
  stems?: string[];
}

export interface Section {
  key: string;
  heading: string;
  body: string;
  /** local, openai-compatible or human. */
  provider: string;
  humanEdited: boolean;
  editedBy: string | null;
  updatedAt: string;
  items: SectionItem[];
}

/** What generation wants a topic's document to gain. */
export interface TopicUpdate {
  topicKey: string;
  kind: DocumentKind;
  title: string;
  competitor: string | null;
  tags: string[];
  sections: Map<string, { heading: string; items: SectionItem[] }>;
}

const MAX_ITEMS = 25;

const item = (origin: Origin, text: string, answer: string | null, worked: boolean): SectionItem => ({
  text,
  answer,
  worked,
  sourceType: origin.sourceType,
  sourceRef: origin.sourceRef,
  label: origin.label,
  speaker: origin.speaker,
  startMs: origin.startMs,
});

export const competitorKey = (name: string): string => name.trim().toLowerCase().replace(/\s+/g, ' ');

const stageTitles: Record<TalkStage, string> = {
  opener: 'Openers',
  discovery: 'Discovery questions',
  value: 'Value talk tracks',
  next_steps: 'Next steps and closes',
};

function topic(
  updates: Map<string, TopicUpdate>,
  key: string,
  base: Omit<TopicUpdate, 'sections' | 'topicKey'>,
): TopicUpdate {
  let found = updates.get(key);
  if (!found) {
    found = { ...base, topicKey: key, sections: new Map() };
    updates.set(key, found);
  }
  return found;
}

function add(update: TopicUpdate, key: string, heading: string, entry: SectionItem): void {
  let section = update.sections.get(key);
  if (!section) {
    section = { heading, items: [] };
    update.sections.set(key, section);
  }
  section.items.push(entry);
}

/**
 * Topic updates from one generation's extractions. `battleCards` are the competitors that earn a
 * card (listed, or named in two sources); `faqKeys` maps existing FAQ section keys to their stems
 * so a question asked in other words joins its section.
 */
export function topicUpdates(
  extraction: Extraction,
  battleCards: Map<string, string>,
  faqKeys: Map<string, string[]>,
): Map<string, TopicUpdate> {
  const updates = new Map<string, TopicUpdate>();
  for (const o of extraction.objections) {
    const doc = topic(updates, 'objections', {
      kind: 'objection_handler',
      title: 'Objection handler',
      competitor: null,
      tags: ['objections'],
    });
    add(doc, `objection:${o.category}`, categoryTitles[o.category], item(o, o.quote, o.answer, o.worked));
  }
  for (const m of extraction.mentions) {
    const key = competitorKey(m.name);
    const name = battleCards.get(key);
    if (!name) continue;
    const doc = topic(updates, `competitor:${key}`, {
      kind: 'battle_card',
      title: `Battle card: ${name}`,
      competitor: name,
      tags: ['competitor'],
    });
    const ours = m.reply === null;
    add(
      doc,
      ours ? 'positioning' : 'mentions',
      ours ? 'How we position against them' : 'What prospects say',
      item(m, m.quote, m.reply, false),
    );
    if (m.reply)
      add(doc, 'responses', 'How we answered', {
        ...item(m, m.reply, null, m.replyWorked ?? false),
        speaker: m.replySpeaker ?? '',
      });
  }
  const faqs = new Map(faqKeys);
  for (const q of extraction.questions) {
    let key = [...faqs.entries()].find(([, stems]) => overlap(stems, q.stems) >= 0.5)?.[0];
    if (!key) {
      key = `q:${q.stems.slice(0, 8).join('-') || q.question.toLowerCase().slice(0, 40)}`;
      faqs.set(key, q.stems);
    }
    const doc = topic(updates, 'faq', { kind: 'faq', title: 'FAQ', competitor: null, tags: ['faq'] });
    add(doc, key, q.question, { ...item(q, q.question, q.answer, false), stems: q.stems });
  }
  for (const t of extraction.talk) {
    const doc = topic(updates, 'playbook', {
      kind: 'playbook',
      title: 'Sales playbook',
      competitor: null,
      tags: ['playbook'],
    });
    add(doc, `talk:${t.stage}`, stageTitles[t.stage], item(t, t.quote, null, t.worked));
  }
  return updates;
}

export const sameItem = (a: SectionItem, b: SectionItem): boolean =>
  a.sourceType === b.sourceType && a.sourceRef === b.sourceRef && a.text === b.text;

/** Old items plus new ones (no duplicates from a source given twice), newest first, capped. */
export function mergeItems(old: SectionItem[], fresh: SectionItem[]): SectionItem[] {
  const kept = old.filter((o) => !fresh.some((f) => sameItem(o, f)));
  return [...fresh, ...kept].slice(0, MAX_ITEMS);
}

/** Quotes go into markdown as text: markup characters are escaped, so a quote cannot add a link or HTML. */
export function mdText(text: string): string {
  return text
    .replace(/[\\`*_{}[\]()<>#+!|~&]/g, (c) => `\\${c}`)
    .replace(/\s+/g, ' ')
    .trim();
}

const cite = (i: SectionItem): string =>
  `— ${mdText(i.speaker || 'Unknown speaker')}, ${mdText(i.label)}${i.startMs !== null ? ` (${clock(i.startMs)})` : ''}`;

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The extractive (local provider) markdown of a section. */
export function renderSection(key: string, items: SectionItem[]): string {
  if (key.startsWith('objection:')) {
    const ordered = [...items].sort((a, b) => Number(b.worked) - Number(a.worked));
    return ordered
      .map((i) =>
        [
          `> ${mdText(i.text)}`,
          `> ${cite(i)}`,
          '',
          i.answer
            ? `**${i.worked ? 'Answer that worked' : 'Answer given (outcome unclear)'}:** ${mdText(i.answer)}`
            : '_No answer recorded yet._',
        ].join('\n'),
      )
      .join('\n\n');
  }
  if (key.startsWith('q:')) {
    const answered = items
      .filter((i) => i.answer)
      .sort((a, b) => (b.answer?.length ?? 0) - (a.answer?.length ?? 0));
    const sources = new Set(items.map((i) => `${i.sourceType}:${i.sourceRef}`)).size;
    return [
      answered[0] ? mdText(answered[0].answer!) : '_Not answered yet._',
      '',
      `_Asked ${items.length} time${items.length === 1 ? '' : 's'} in ${sources} source${sources === 1 ? '' : 's'}, e.g. “${mdText(items[0]!.text)}”._`,
    ].join('\n');
  }
  return items.map((i) => `- ${mdText(i.text)}${i.worked ? ' **(landed well)**' : ''} ${cite(i)}`).join('\n');
}

/** The document's markdown: its sections under their headings. */
export function documentMarkdown(title: string, sections: readonly Section[]): string {
  return [`# ${mdText(title)}`, ...sections.map((s) => `## ${mdText(s.heading)}\n\n${s.body}`)].join('\n\n');
}

/** FAQ sections are ordered by how often they were asked; the others keep their order. */
export function ordered(kind: DocumentKind, sections: Section[]): Section[] {
  if (kind === 'faq') return [...sections].sort((a, b) => b.items.length - a.items.length);
  if (kind === 'battle_card') {
    const rank = (key: string): number => ['mentions', 'responses', 'positioning'].indexOf(key);
    return [...sections].sort((a, b) => rank(a.key) - rank(b.key));
  }
  return sections;
}
