import { Feed } from 'feed';
import type { ReleaseNote } from './store.js';

const CATEGORY_TITLES: Record<ReleaseNote['category'], string> = {
  new: 'New',
  improved: 'Improved',
  fixed: 'Fixed',
  security: 'Security',
};

/** Feed titles are `type="html"`: escape them, so a title reads as text in every feed reader. */
const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/**
 * The public notes (audience: everyone) as Atom or RSS 2.0, built with `feed`, which escapes
 * what it writes. Contents are the same sanitised HTML the changelog shows.
 */
export function releaseFeed(notes: ReleaseNote[], publicUrl: string, format: 'atom' | 'rss'): string {
  const base = publicUrl.replace(/\/+$/, '');
  const newest = notes[0]?.publishedAt;
  const feed = new Feed({
    id: `${base}/api/v1/releases/feed.atom`,
    title: "Revflow — what's new",
    description: 'Release notes of Revflow',
    link: base,
    language: 'en',
    updated: newest ? new Date(newest) : new Date(0),
    generator: 'Revflow',
    copyright: 'Revflow',
    feedLinks: { atom: `${base}/api/v1/releases/feed.atom`, rss: `${base}/api/v1/releases/feed.rss` },
  });
  for (const note of notes) {
    // The changelog lives in a workspace; the note's own address is its entry in this feed.
    const link = `${base}/api/v1/releases/feed.atom#${note.id}`;
    feed.addItem({
      id: `urn:uuid:${note.id}`,
      guid: `urn:uuid:${note.id}`,
      title: escapeHtml(note.version ? `${note.title} (${note.version})` : note.title),
      link,
      date: new Date(note.publishedAt ?? note.updatedAt),
      published: new Date(note.publishedAt ?? note.createdAt),
      content: note.html,
      category: [{ name: CATEGORY_TITLES[note.category] }],
    });
  }
  return format === 'atom' ? feed.atom1() : feed.rss2();
}
