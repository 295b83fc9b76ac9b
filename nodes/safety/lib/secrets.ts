/**
 * Secrets and API keys: well-known prefixes (near certain), then long random-looking tokens by
 * Shannon entropy (likely; context words such as "token" or "key" raise them).
 */
const KNOWN: readonly RegExp[] = [
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,250}\b/g, // Slack
  /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,247}\b/g, // Stripe
  /\bwhsec_[A-Za-z0-9]{20,}\b/g,
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,200}\b/g, // OpenAI, Anthropic
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API key
  /\bSG\.[\w-]{16,32}\.[\w-]{16,64}\b/g, // SendGrid
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g, // GitLab
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // JWT
  /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]{0,8192}?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)/g,
];

const TOKEN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,512}={0,2}(?![A-Za-z0-9+/_=-])/g;

export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

function looksRandom(token: string): boolean {
  const classes = Number(/[a-z]/.test(token)) + Number(/[A-Z]/.test(token)) + Number(/\d/.test(token));
  // Words, paths and hex digests (message ids, checksums) are not secrets.
  if (classes < 3 || /^[a-f0-9]+$/i.test(token) || /^[a-z]+(?:[-_][a-z]+)*$/i.test(token)) return false;
  return shannonEntropy(token) >= 4.2;
}

export function secretCandidates(text: string): Array<{ start: number; end: number; score: number }> {
  const out: Array<{ start: number; end: number; score: number }> = [];
  for (const pattern of KNOWN) {
    for (const m of text.matchAll(pattern))
      out.push({ start: m.index, end: m.index + m[0].length, score: 0.95 });
  }
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index;
    if (out.some((o) => start < o.end && o.start < start + m[0].length)) continue;
    if (looksRandom(m[0])) out.push({ start, end: start + m[0].length, score: 0.45 });
  }
  return out;
}
