import type { JsonObject } from '../../../engine/json.js';
import { localExtract } from './extract.js';
import { localSummarize } from './summarize.js';

export const LOCAL_GENERATE_NOTICE =
  'Written by Revflow’s local template provider, not a language model: it fills the template’s ' +
  'placeholders from the prompt and lays out its key points. Configure an OpenAI-compatible ' +
  'provider (Team & settings → AI) for written text.';

// [First name], {company}, <Deal amount>, and {{ leftovers }} the engine did not evaluate.
const placeholder =
  /\{\{\s*([\w .-]{1,40}?)\s*\}\}|\[([A-Za-z][\w .-]{0,40}?)\]|\{([A-Za-z][\w .-]{0,40}?)\}|<([A-Za-z][\w .-]{0,40}?)>/g;
const messageLike = /\b(e-?mail|message|reply|respond|follow[- ]?up|note|letter|dm|outreach|intro)\b/i;

function camel(name: string): string {
  const words = name
    .trim()
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('') || 'value';
}

/** The template: a fenced block, what follows a "Template:" line, or the prompt itself when it has placeholders. */
function templateOf(prompt: string): { template: string; context: string } | undefined {
  const fenced = /```[\w-]*\n([\s\S]*?)```/.exec(prompt);
  if (fenced) return { template: fenced[1]!.trimEnd(), context: prompt.replace(fenced[0], ' ') };
  const labelled = /(?:^|\n)\s*template:\s*\n?([\s\S]+)$/i.exec(prompt);
  if (labelled) return { template: labelled[1]!.trim(), context: prompt.slice(0, labelled.index) };
  placeholder.lastIndex = 0;
  return placeholder.test(prompt) ? { template: prompt, context: prompt } : undefined;
}

/**
 * Template-based generation: placeholders are filled from what the prompt (and system prompt)
 * says, by the same readers as extraction; unknown ones are left as they are and listed. With
 * no template, a message-like prompt gets a plain draft of its own key points. Deterministic.
 */
export function localGenerate(
  prompt: string,
  system: string | undefined,
): { text: string; unfilled: string[] } {
  const found = templateOf(prompt);
  const context = `${system ?? ''}\n${found?.context ?? prompt}`;
  if (found) {
    const names = new Map<string, string>();
    for (const match of found.template.matchAll(placeholder)) {
      const name = (match[1] ?? match[2] ?? match[3] ?? match[4] ?? '').trim();
      names.set(match[0], camel(name));
    }
    const schema: JsonObject = {
      type: 'object',
      properties: Object.fromEntries([...new Set(names.values())].map((key) => [key, { type: 'string' }])),
    };
    const { data } = localExtract(context, schema);
    const unfilled: string[] = [];
    const text = found.template.replace(placeholder, (whole) => {
      const value = data[names.get(whole) ?? ''];
      if (typeof value === 'string' && value.length > 0) return value;
      unfilled.push(whole);
      return whole;
    });
    return { text, unfilled: [...new Set(unfilled)] };
  }
  const { keyPoints } = localSummarize(prompt, 5);
  const points = keyPoints.map((point) => `- ${point}`).join('\n');
  if (!messageLike.test(prompt)) return { text: points, unfilled: [] };
  const { data } = localExtract(context, { type: 'object', properties: { firstName: { type: 'string' } } });
  const first = typeof data.firstName === 'string' ? data.firstName : 'there';
  return { text: `Hi ${first},\n\n${points}\n\nBest regards`, unfilled: [] };
}
