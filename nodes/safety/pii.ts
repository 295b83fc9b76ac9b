import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { detectPii, piiEntities, type PiiEntity, type PiiFinding } from './lib/pii.js';
import { applyActions, type PiiAction } from './lib/redact.js';
import { countBy, decide, guardrailPorts } from './lib/verdict.js';
import { mapStrings, TooLarge } from './lib/walk.js';

const actions = ['block', 'redact', 'mask', 'hash', 'allow'] as const satisfies readonly PiiAction[];

/** Secrets must never leave; the rest is rewritten so the message can still go out. */
export const defaultPiiActions: Readonly<Record<PiiEntity, PiiAction>> = {
  email: 'redact',
  phone: 'redact',
  card: 'block',
  iban: 'redact',
  ssn: 'block',
  ip: 'mask',
  url_credentials: 'redact',
  secret: 'block',
  person: 'redact',
  location: 'allow',
};

export const piiConfigSchema = z.object({
  text: z
    .string()
    .max(2_000_000)
    .optional()
    .describe(
      'A text to check and redact as `text` in the output (every string of the input is checked anyway)',
    ),
  entities: z
    .partialRecord(z.enum(piiEntities), z.enum(actions))
    .default({})
    .describe('Per entity: block (fail the check), redact, mask, hash or allow; unset ones use the defaults'),
  threshold: z.number().min(0).max(1).default(0.5).describe('Findings scoring below this are ignored'),
  defaultRegion: z
    .string()
    .regex(/^[A-Z]{2}$/, 'a two-letter country code')
    .default('US')
    .describe('Country of phone numbers written without a country code'),
  allow: z.array(z.string().max(320)).max(200).default([]).describe('Values that are never flagged'),
});

export type PiiConfig = z.infer<typeof piiConfigSchema>;

export const safetyPiiNode = defineNode({
  type: 'safety.pii',
  family: 'safety',
  title: 'PII guardrail',
  description: 'Finds personal data and secrets; redacts, masks or hashes them, or fails the check.',
  docs:
    'Detects email, phone, payment card (Luhn), IBAN (mod-97), US SSN, IP, URLs with credentials, secrets and API keys, ' +
    'person names and locations. Context words ("SSN:", "call me at") raise confidence; findings under `threshold` are ' +
    'ignored. `pass` carries `{ data, text?, findings, redactions }` where `data` is the input with every string redacted; ' +
    'an entity set to `block` sends the output to `fail`. The safety log keeps entity counts only.',
  icon: 'shield',
  config: piiConfigSchema,
  outputs: guardrailPorts,
  run: async (ctx, input) => {
    const config = ctx.config;
    const actionOf = (entity: PiiEntity): PiiAction => config.entities[entity] ?? defaultPiiActions[entity];
    const wanted = new Set(piiEntities.filter((e) => actionOf(e) !== 'allow'));
    const allow = new Set(config.allow.map((v) => v.toLowerCase()));
    const found: PiiFinding[] = [];
    let redactions = 0;
    const scrub = (text: string): string => {
      const findings = detectPii(text, {
        entities: wanted,
        defaultRegion: config.defaultRegion as never,
        allow,
      }).filter((f) => f.score >= config.threshold);
      found.push(...findings);
      const result = applyActions(text, findings, actionOf, ctx.run.workspaceId);
      redactions += result.rewritten;
      return result.text;
    };
    let data: Json;
    let text: string | undefined;
    try {
      data = mapStrings(input, scrub);
      if (config.text !== undefined) text = scrub(config.text);
    } catch (error) {
      if (!(error instanceof TooLarge)) throw error;
      return decide(ctx, 'pii', { verdict: 'fail', reason: `Not checked: ${error.message}`, findings: [] });
    }
    const findings = countBy(
      found,
      (f) => f.entity,
      (type) => actionOf(type as PiiEntity),
    );
    const blocked = findings.filter((f) => f.action === 'block');
    const reason =
      blocked.length > 0
        ? `Blocked: found ${blocked.map((f) => `${f.count} ${f.type}`).join(', ')}`
        : findings.length > 0
          ? `Passed with ${redactions} value(s) rewritten (${findings.map((f) => `${f.count} ${f.type}`).join(', ')})`
          : 'No personal data found';
    return decide(ctx, 'pii', {
      verdict: blocked.length > 0 ? 'fail' : 'pass',
      reason,
      findings,
      redactions,
      // A blocked value is not passed on, even on the fail port.
      extra: { data, ...(text !== undefined && { text }) },
    });
  },
});
