import Stripe from 'stripe';
import type { StripeSettings } from './config.js';

/**
 * The Stripe API version Revflow is written against. Pinned: a new SDK or a change of the
 * account's default version never changes the shapes the code reads.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

/**
 * The real `stripe` client when a secret key is configured, else undefined (local mode).
 * SDK-level retries reuse the request's Idempotency-Key, so they never duplicate a change.
 */
export function createStripeClient(settings: StripeSettings): Stripe | undefined {
  if (!settings.secretKey) return undefined;
  return new Stripe(settings.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: 'Revflow' },
    ...(settings.api ?? {}),
  });
}

export type { Stripe };
