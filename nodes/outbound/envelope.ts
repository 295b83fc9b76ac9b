import { StepFailure } from '../../engine/errors.js';
import { isJsonObject, type Json } from '../../engine/json.js';
import type { OutboundEnvelope } from './service.js';

/** The outbound envelope a step got (from outbound.enroll, directly or through other outbound steps). */
export function envelopeOf(input: Json): OutboundEnvelope {
  if (
    isJsonObject(input) &&
    isJsonObject(input.lead) &&
    typeof input.lead.id === 'string' &&
    typeof input.enrollmentId === 'string' &&
    typeof input.campaignId === 'string'
  )
    return input as unknown as OutboundEnvelope;
  throw new StepFailure(
    'This step needs a lead enrolled by outbound.enroll: connect it after outbound.enroll (or another outbound step)',
    'not_enrolled',
  );
}

export function envelopeJson(envelope: OutboundEnvelope, extra: Record<string, Json> = {}): Json {
  return { ...(envelope as unknown as Record<string, Json>), ...extra };
}
