import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import { defineNode } from '../../engine/node.js';
import { decide, guardrailPorts, type Finding } from './lib/verdict.js';

const recipients = z
  .union([z.string().max(100_000), z.array(z.string().max(320)).max(1000)])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean));

/** Regions whose law wants recorded consent before marketing email (GDPR, UK PECR, CASL). */
export const defaultConsentRegions = ['EU', 'EEA', 'UK', 'CA'];

export const complianceConfigSchema = z.object({
  to: recipients.describe('Recipients of the email'),
  text: z.string().max(1_000_000).optional(),
  html: z.string().max(2_000_000).optional(),
  headers: z
    .record(z.string().max(200), z.string().max(2000))
    .default({})
    .describe('Headers the email will carry'),
  unsubscribeUrl: z
    .string()
    .max(2000)
    .optional()
    .describe('https URL: the check then outputs the RFC 8058 headers for email.send'),
  postalAddress: z.string().max(500).optional().describe('Your postal address, which the body must contain'),
  region: z.string().max(10).default('US').describe("The recipients' region (EU, UK, CA, US, ...)"),
  consentRegions: z.array(z.string().max(10)).default(defaultConsentRegions),
  checkSuppression: z.boolean().default(true),
});

/** Something that reads like a street address: a number and a street word, or a PO box. */
const POSTAL =
  /\b\d{1,6}\s+(?:[A-Z][\w.'-]*\s+){0,4}(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|square|sq|straße|strasse|str|rue|suite)\b|\bP\.?\s?O\.?\s+Box\s+\d+/i;

const header = (headers: Record<string, string>, name: string): string | undefined =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

export const safetyComplianceNode = defineNode({
  type: 'safety.compliance',
  family: 'safety',
  title: 'Email compliance guardrail',
  description: 'Unsubscribe link and RFC 8058 headers, postal address, suppression list, recorded consent.',
  docs:
    'For marketing email: the body needs an unsubscribe link, the message `List-Unsubscribe` (an https URL) and ' +
    '`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), and a physical postal address. Suppressed ' +
    'recipients are dropped from `to` in the output (the check fails when none is left); recipients in a region that ' +
    'needs consent (default EU, EEA, UK, CA) must have consent on record.',
  icon: 'scale',
  config: complianceConfigSchema,
  outputs: guardrailPorts,
  run: async (ctx) => {
    const config = ctx.config;
    const safety = ctx.services.safety;
    if (!safety && (config.checkSuppression || config.consentRegions.length > 0))
      throw new StepFailure('The suppression list and consent records are not available here', 'unavailable');
    const findings: Finding[] = [];
    const body = `${config.text ?? ''}\n${config.html ?? ''}`;
    const headers: Record<string, string> = { ...config.headers };
    if (config.unsubscribeUrl) {
      if (!/^https:\/\//i.test(config.unsubscribeUrl) || !URL.canParse(config.unsubscribeUrl))
        throw new StepFailure('unsubscribeUrl must be an https:// URL', 'config', 'config.unsubscribeUrl');
      headers['List-Unsubscribe'] ??= `<${config.unsubscribeUrl}>`;
      headers['List-Unsubscribe-Post'] ??= 'List-Unsubscribe=One-Click';
    }
    const unsubscribeInBody =
      (config.unsubscribeUrl !== undefined && body.includes(config.unsubscribeUrl)) ||
      /https?:\/\/[^\s"'<>]*unsubscribe[^\s"'<>]*/i.test(body) ||
      /<a\b[^>]*>[^<]*unsubscribe[^<]*<\/a>/i.test(body);
    if (!unsubscribeInBody) findings.push({ type: 'missing_unsubscribe_link', count: 1, action: 'block' });
    if (!/<https:\/\/[^>]+>/i.test(header(headers, 'List-Unsubscribe') ?? ''))
      findings.push({ type: 'missing_list_unsubscribe', count: 1, action: 'block' });
    if ((header(headers, 'List-Unsubscribe-Post') ?? '').trim() !== 'List-Unsubscribe=One-Click')
      findings.push({ type: 'missing_one_click', count: 1, action: 'block' });
    const hasAddress = config.postalAddress
      ? body.replace(/\s+/g, ' ').includes(config.postalAddress.replace(/\s+/g, ' '))
      : POSTAL.test(body);
    if (!hasAddress) findings.push({ type: 'missing_postal_address', count: 1, action: 'block' });
    let to = config.to;
    if (config.checkSuppression && safety) {
      const suppressed = await safety.suppressed(ctx.run.workspaceId, to);
      if (suppressed.size > 0) {
        findings.push({ type: 'suppressed', count: suppressed.size, action: 'remove' });
        to = to.filter((address) => !suppressed.has(address));
      }
    }
    const region = config.region.toUpperCase();
    if (safety && config.consentRegions.map((r) => r.toUpperCase()).includes(region) && to.length > 0) {
      const consented = await safety.consented(ctx.run.workspaceId, to);
      const missing = to.filter((address) => !consented.has(address));
      if (missing.length > 0) findings.push({ type: 'no_consent', count: missing.length, action: 'block' });
    }
    if (to.length === 0) findings.push({ type: 'no_recipient_left', count: 1, action: 'block' });
    const blocking = findings.filter((f) => f.action === 'block');
    return decide(ctx, 'compliance', {
      verdict: blocking.length > 0 ? 'fail' : 'pass',
      reason:
        blocking.length > 0
          ? `Not compliant: ${blocking.map((f) => f.type.replace(/_/g, ' ')).join(', ')}`
          : findings.length > 0
            ? `Compliant; ${findings[0]!.count} suppressed recipient(s) removed`
            : 'Compliant',
      findings,
      extra: { to, headers },
    });
  },
});
