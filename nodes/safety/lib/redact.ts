import { createHmac } from 'node:crypto';
import type { PiiEntity, PiiFinding } from './pii.js';

/** What a guardrail does with a finding: fail the check, or rewrite the value and pass. */
export type PiiAction = 'block' | 'redact' | 'mask' | 'hash' | 'allow';

function mask(finding: PiiFinding): string {
  const value = finding.value;
  if (finding.entity === 'email') {
    const at = value.indexOf('@');
    return `${value[0] ?? ''}***${value.slice(at)}`;
  }
  const digits = value.replace(/\D/g, '');
  if (['card', 'phone', 'iban', 'ssn'].includes(finding.entity) && digits.length >= 4) {
    return `${'*'.repeat(Math.max(4, value.length - 4))}${digits.slice(-4)}`;
  }
  return `${[...value][0] ?? ''}${'*'.repeat(Math.max(3, Math.min(12, value.length - 1)))}`;
}

/**
 * The text with each finding replaced as its action says. `hash` is an HMAC keyed by the
 * workspace: the same value gives the same token within a workspace (joins still work) and
 * tokens cannot be matched across workspaces.
 */
export function applyActions(
  text: string,
  findings: readonly PiiFinding[],
  actionOf: (entity: PiiEntity) => PiiAction,
  hashKey: string,
): { text: string; rewritten: number } {
  let out = '';
  let at = 0;
  let rewritten = 0;
  for (const finding of findings) {
    const action = actionOf(finding.entity);
    // A blocked value is removed too: it never travels on, even along the fail port.
    if (action === 'allow') continue;
    const label = finding.entity.toUpperCase();
    const replacement =
      action === 'redact' || action === 'block'
        ? `[${label}]`
        : action === 'mask'
          ? mask(finding)
          : `[${label}:${createHmac('sha256', hashKey).update(finding.value).digest('hex').slice(0, 12)}]`;
    out += text.slice(at, finding.start) + replacement;
    at = finding.end;
    rewritten += 1;
  }
  return { text: out + text.slice(at), rewritten };
}
