/**
 * A small profanity and toxicity lexicon (English), matched on word boundaries after folding
 * common obfuscations (f*ck, sh1t). Workspaces add their own blocked terms on the node.
 */
export const profanity: readonly string[] = [
  'fuck',
  'fucking',
  'fucker',
  'motherfucker',
  'shit',
  'bullshit',
  'asshole',
  'bitch',
  'bastard',
  'dick',
  'cunt',
  'piss',
  'crap',
  'damn',
  'wanker',
  'twat',
  'prick',
  'slut',
  'whore',
  'douchebag',
];
export const toxicity: readonly string[] = [
  'idiot',
  'moron',
  'stupid',
  'retard',
  'retarded',
  'loser',
  'dumbass',
  'kill yourself',
  'kys',
  'shut up',
  'worthless',
  'pathetic',
  'scum',
  'hate you',
  'die in a fire',
  'go to hell',
];

const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
  '*': 'u',
};

/** Lower-case, NFKC, leetspeak folded, runs of the same letter shortened to two. */
export function foldText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[01345@$7*]/g, (ch) => LEET[ch] ?? ch)
    .replace(/(\p{L})\1{2,}/gu, '$1$1');
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Count of each term found in `folded` (word boundaries; terms folded the same way). */
export function termHits(folded: string, terms: readonly string[]): Map<string, number> {
  const hits = new Map<string, number>();
  for (const term of terms) {
    const t = foldText(term.trim());
    if (!t) continue;
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${escape(t)}(?![\\p{L}\\p{N}])`, 'gu');
    const count = folded.match(re)?.length ?? 0;
    if (count > 0) hits.set(term, count);
  }
  return hits;
}
