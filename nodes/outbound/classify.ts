/**
 * Reply classification's offline baseline (issue 13): a documented rule set, used when the
 * workspace has no AI layer (`ctx.services.ai.classify`) or it fails. Rules are checked in this
 * order and the first that matches wins:
 * 1. unsubscribe — "unsubscribe", "remove me", "stop emailing", "opt out", "take me off";
 * 2. out_of_office — "out of (the) office", "on vacation/holiday/leave", "auto-reply", "away until",
 *    "limited access to email";
 * 3. negative — "not interested", "no thanks", "no, thank", "don't contact", "wrong person",
 *    "not a fit", "we already have/use", "please stop";
 * 4. positive — "interested", "let's talk/chat/meet", "book/schedule a call/meeting/demo",
 *    "sounds good/great", "send me more", "tell me more", "yes", "happy to", "calendar", "when are you free";
 * 5. neutral — anything else (a question, a forward, "who are you?").
 * Quoted history (lines starting with ">" and everything after "On … wrote:") is ignored.
 */
export const replyClasses = ['positive', 'neutral', 'negative', 'out_of_office', 'unsubscribe'] as const;
export type ReplyClass = (typeof replyClasses)[number];

const RULES: ReadonlyArray<readonly [ReplyClass, RegExp]> = [
  [
    'unsubscribe',
    /\b(unsubscribe|remove me|stop (e-?mailing|sending|contacting)|opt(-| )?out|take me off)\b/i,
  ],
  [
    'out_of_office',
    /\b(out of (the )?office|on (vacation|holiday|leave|parental leave)|auto(matic)?[- ]?reply|away until|limited access to (my )?e-?mail|back on)\b/i,
  ],
  [
    'negative',
    /\b(not interested|no,? thanks?|no thank you|don'?t (contact|email)|wrong person|not a (good )?fit|we already (have|use)|please stop|not (right )?now|no need)\b/i,
  ],
  [
    'positive',
    /\b(interested|let'?s (talk|chat|meet|connect)|(book|schedule|set up) (a |some )?(call|meeting|demo|time)|sounds (good|great|interesting)|send (me )?more|tell me more|yes|happy to|calendar|when are you (free|available)|love to)\b/i,
  ],
];

/** The reply without quoted history. */
export function replyText(text: string): string {
  const cut = text.search(/^On .{0,200}wrote:\s*$/m);
  const body = cut >= 0 ? text.slice(0, cut) : text;
  return body
    .split(/\r?\n/)
    .filter((line) => !line.trimStart().startsWith('>'))
    .join('\n')
    .slice(0, 20_000);
}

export function classifyByRules(text: string): ReplyClass {
  const body = replyText(text);
  for (const [label, pattern] of RULES) if (pattern.test(body)) return label;
  return 'neutral';
}

/** What the AI layer is asked to choose from. */
export const replyCategories = [
  { name: 'positive', description: 'Wants to talk, asks for a meeting, a demo or more information' },
  { name: 'neutral', description: 'A question, a forward or a reply that is neither yes nor no' },
  { name: 'negative', description: 'Not interested, wrong person, already has a solution' },
  { name: 'out_of_office', description: 'An automatic out-of-office or vacation reply' },
  { name: 'unsubscribe', description: 'Asks to be removed or to stop receiving email' },
];

export function isReplyClass(value: string): value is ReplyClass {
  return (replyClasses as readonly string[]).includes(value);
}
