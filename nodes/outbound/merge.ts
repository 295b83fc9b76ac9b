import type { Lead } from './service.js';

/**
 * Merge fields in variant templates: `{{ lead.firstName }}`, `{{ lead.company | your team }}`
 * (a fallback after `|`). Variants are kept verbatim by the engine (raw fields) and filled in
 * here at send time, from the lead only: nothing else of the run is reachable from a template.
 */
const FIELD = /\{\{\s*lead\.([A-Za-z0-9_.]{1,80})\s*(?:\|\s*([^}]{0,80}?)\s*)?\}\}/g;

export function leadField(lead: Lead, path: string): string | undefined {
  if (path === 'firstName') return lead.name?.trim().split(/\s+/)[0] || undefined;
  if (path === 'lastName') {
    const parts = lead.name?.trim().split(/\s+/) ?? [];
    return parts.length > 1 ? parts.slice(1).join(' ') : undefined;
  }
  if (path.startsWith('attributes.')) {
    const value = lead.attributes[path.slice('attributes.'.length)];
    return value === null || value === undefined || typeof value === 'object' ? undefined : String(value);
  }
  const known: Record<string, string | null> = {
    name: lead.name,
    email: lead.email,
    company: lead.company,
    title: lead.title,
    domain: lead.domain,
    country: lead.country,
  };
  return known[path] ?? undefined;
}

export function renderTemplate(template: string, lead: Lead): string {
  return template.replace(
    FIELD,
    (_match, path: string, fallback: string | undefined) => leadField(lead, path) ?? fallback ?? '',
  );
}
