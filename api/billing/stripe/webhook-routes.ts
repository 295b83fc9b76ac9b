import express, { type Router } from 'express';
import type { Knex } from 'knex';
import Stripe from 'stripe';
import type { Runtime, RuntimeLogger } from '../../../engine/runtime.js';
import { createStripeClient } from './client.js';
import { stripeSettingsFromEnv, type StripeSettings } from './config.js';
import { StripeEventService } from './events.js';
import { badRequest, ProblemError } from '../../http/problem.js';
import { countStripeEvent } from '../../observability/metrics.js';

export interface StripeWebhookDeps {
  knex: Knex;
  /** Read per request: the engine may be set up after the routes. */
  runtime: () => Runtime;
  logger: RuntimeLogger;
  bodyLimit: string;
  /** Default: from the environment (STRIPE_WEBHOOK_SECRET, STRIPE_SECRET_KEY, ...). */
  settings?: StripeSettings;
  /** Tests: how long active triggers are cached. */
  triggerCacheMs?: number;
}

export type SignatureFailure =
  'missing_signature' | 'malformed_signature' | 'bad_signature' | 'stale_timestamp';

function failureReason(message: string): SignatureFailure {
  if (/tolerance/i.test(message)) return 'stale_timestamp';
  if (/no stripe-signature header/i.test(message)) return 'missing_signature';
  if (/unable to extract|expected scheme/i.test(message)) return 'malformed_signature';
  return 'bad_signature';
}

const REASON_TEXT: Record<SignatureFailure, string> = {
  missing_signature: 'The Stripe-Signature header is missing',
  malformed_signature: 'The Stripe-Signature header is malformed',
  bad_signature: 'The Stripe-Signature does not match the body and the webhook signing secret',
  stale_timestamp: 'The Stripe-Signature timestamp is too old (or in the future): a replay is refused',
};

/**
 * `POST /hooks/stripe` — Stripe's webhook endpoint. The raw body is verified with
 * `stripe.webhooks.constructEvent` against STRIPE_WEBHOOK_SECRET (a bad or stale signature is a
 * 400 naming the reason), the event is stored before it is acknowledged (a repeated event id
 * answers 200 and changes nothing), applied to the billing account and fed to `trigger.stripe`
 * workflows. A failure after storing answers 500, so Stripe delivers it again.
 */
export function stripeWebhook(deps: StripeWebhookDeps): Router {
  const settings = deps.settings ?? stripeSettingsFromEnv();
  const events = new StripeEventService(
    deps.knex,
    deps.runtime,
    deps.logger,
    createStripeClient(settings),
    deps.triggerCacheMs,
  );
  const router = express.Router();
  router.all(
    '/hooks/stripe',
    express.raw({ type: () => true, limit: deps.bodyLimit }),
    async (req, res, next) => {
      try {
        if (req.method !== 'POST') {
          res.set('Allow', 'POST');
          throw new ProblemError(405, 'Method not allowed', 'Stripe webhooks are POSTed');
        }
        if (!settings.webhookSecret) {
          throw new ProblemError(
            503,
            'Stripe webhooks are not configured',
            'Set STRIPE_WEBHOOK_SECRET to receive Stripe events',
            {
              reason: 'not_configured',
            },
          );
        }
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const header = req.header('stripe-signature');
        let event: Stripe.Event;
        try {
          if (!header)
            throw new Stripe.errors.StripeSignatureVerificationError('', raw, {
              message: 'No stripe-signature header value was provided.',
            });
          event = Stripe.webhooks.constructEvent(
            raw,
            header,
            settings.webhookSecret,
            settings.webhookToleranceSeconds,
          );
        } catch (error) {
          if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
            const reason = failureReason(error.message);
            countStripeEvent('bad_signature');
            throw new ProblemError(
              400,
              'Bad Stripe signature',
              `${REASON_TEXT[reason]} (${error.message.split('\n')[0]?.trim()})`,
              {
                type: 'https://revflow.dev/problems/stripe-signature',
                reason,
              },
            );
          }
          throw badRequest('The body is not a Stripe event', [{ name: 'body', reason: 'not valid JSON' }]);
        }
        if (
          typeof event?.id !== 'string' ||
          typeof event.type !== 'string' ||
          typeof event.created !== 'number' ||
          !event.data?.object
        ) {
          throw badRequest('The body is not a Stripe event', [
            { name: 'body', reason: 'needs id, type, created and data.object' },
          ]);
        }
        const result = await events.receive(event);
        countStripeEvent(result.duplicate ? 'duplicate' : result.outcome);
        res.status(200).json({ received: true, ...result });
      } catch (error) {
        // Refused requests (405, 503, a bad body) are counted by revflow_webhook_responses_total.
        if (!(error instanceof ProblemError)) countStripeEvent('failed');
        next(error);
      }
    },
  );
  return router;
}
