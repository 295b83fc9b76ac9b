import { domainToUnicode } from 'node:url';
import { distance } from 'fastest-levenshtein';
import { normalise } from './injection.js';

export type UrlProblem = 'scheme' | 'credentials' | 'host' | 'lookalike' | 'invalid';

export interface UrlFinding {
  url: string;
  host: string;
  problem: UrlProblem;
  /** The protected domain a lookalike imitates. */
  imitates?: string;
}

const URLS = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s<>"'`)\]]+|\bwww\.[^\s<>"'`)\]]+/gi;

/** The registrable part of a host, roughly: the last two labels (three for co.uk-style suffixes). */
export function baseDomain(host: string): string {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  const take =
    labels.length > 2 && /^(?:co|com|org|net|ac|gov)$/.test(labels[labels.length - 2] ?? '') ? 3 : 2;
  return labels.slice(-take).join('.');
}

/** Lookalike letters, digits and Cyrillic/Greek homoglyphs folded to the letters they imitate. */
function skeleton(domain: string): string {
  return normalise(domainToUnicode(domain) || domain)
    .text.toLowerCase()
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/[0]/g, 'o')
    .replace(/[1!|]/g, 'l')
    .replace(/[3]/g, 'e')
    .replace(/[5]/g, 's')
    .replace(/-/g, '');
}

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((a) => {
    const allowedHost = a.toLowerCase().replace(/^\*\./, '');
    return h === allowedHost || h.endsWith(`.${allowedHost}`);
  });
}

export interface UrlRules {
  schemes: readonly string[];
  allowedHosts: readonly string[];
  protectedDomains: readonly string[];
  maxDistance: number;
}

export function checkUrls(text: string, rules: UrlRules): { urls: number; findings: UrlFinding[] } {
  const findings: UrlFinding[] = [];
  const found = text.match(URLS) ?? [];
  const protectedBases = [...new Set(rules.protectedDomains.map(baseDomain))];
  for (const raw of found.slice(0, 1000)) {
    const candidate = raw.replace(/[.,;:!?]+$/, '');
    let url: URL;
    try {
      url = new URL(/^www\./i.test(candidate) ? `https://${candidate}` : candidate);
    } catch {
      findings.push({ url: candidate, host: '', problem: 'invalid' });
      continue;
    }
    const host = url.hostname;
    if (url.username || url.password) findings.push({ url: candidate, host, problem: 'credentials' });
    if (!rules.schemes.includes(url.protocol.replace(/:$/, '').toLowerCase()))
      findings.push({ url: candidate, host, problem: 'scheme' });
    if (rules.allowedHosts.length > 0 && !hostAllowed(host, rules.allowedHosts))
      findings.push({ url: candidate, host, problem: 'host' });
    const base = baseDomain(host);
    for (const target of protectedBases) {
      if (base === target) continue;
      const near = distance(base, target) <= rules.maxDistance || skeleton(base) === skeleton(target);
      if (near) {
        findings.push({ url: candidate, host, problem: 'lookalike', imitates: target });
        break;
      }
    }
  }
  return { urls: found.length, findings };
}
