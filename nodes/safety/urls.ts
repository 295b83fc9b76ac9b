import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { checkUrls, type UrlProblem } from './lib/urls.js';
import { countBy, decide, guardrailPorts } from './lib/verdict.js';
import { textOf, TooLarge } from './lib/walk.js';

const host = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(?:\*\.)?[A-Za-z0-9.-]+$/, 'a host name such as example.com or *.example.com');

export const urlsConfigSchema = z.object({
  text: z
    .string()
    .max(2_000_000)
    .optional()
    .describe('The text to check; default: every string of the input'),
  schemes: z
    .array(z.string().regex(/^[a-z][a-z0-9+.-]*$/))
    .min(1)
    .default(['https', 'mailto']),
  allowedHosts: z
    .array(host)
    .max(500)
    .default([])
    .describe('When set, links may only point here (and subdomains)'),
  protectedDomains: z
    .array(host)
    .max(200)
    .default([])
    .describe(
      'Your own and your partners’ domains: links to lookalikes of them fail (default: the allowed hosts)',
    ),
  maxDistance: z.number().int().min(1).max(3).default(2).describe('Edit distance that counts as a lookalike'),
});

const labels: Readonly<Record<UrlProblem, string>> = {
  scheme: 'scheme not allowed',
  credentials: 'user:password in the URL',
  host: 'host not allowed',
  lookalike: 'lookalike domain',
  invalid: 'not a valid URL',
};

export const safetyUrlsNode = defineNode({
  type: 'safety.urls',
  family: 'safety',
  title: 'Link guardrail',
  description: 'Allowed hosts and schemes, no user:password@ in links, no lookalike domains.',
  docs:
    'Every link in the text is parsed. Lookalikes are domains within `maxDistance` edits of a protected domain, or that ' +
    'read the same once homoglyphs (Cyrillic "а", "rn" for "m", "0" for "o", punycode) are folded.',
  icon: 'link',
  config: urlsConfigSchema,
  outputs: guardrailPorts,
  run: async (ctx, input) => {
    const config = ctx.config;
    let text: string;
    try {
      text = config.text ?? textOf(input);
    } catch (error) {
      if (!(error instanceof TooLarge)) throw error;
      return decide(ctx, 'urls', { verdict: 'fail', reason: `Not checked: ${error.message}`, findings: [] });
    }
    const protectedDomains =
      config.protectedDomains.length > 0 ? config.protectedDomains : config.allowedHosts;
    const result = checkUrls(text, {
      ...config,
      protectedDomains: protectedDomains.map((d) => d.replace(/^\*\./, '')),
    });
    const findings = countBy(
      result.findings,
      (f) => f.problem,
      () => 'block',
    );
    const first = result.findings[0];
    return decide(ctx, 'urls', {
      verdict: first ? 'fail' : 'pass',
      reason: first
        ? `Blocked link ${first.host || first.url}: ${labels[first.problem]}${first.imitates ? ` (imitates ${first.imitates})` : ''}`
        : `${result.urls} link(s) checked`,
      findings,
      extra: { links: result.urls, hosts: [...new Set(result.findings.map((f) => f.host))].slice(0, 50) },
    });
  },
});
