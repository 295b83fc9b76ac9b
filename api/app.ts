import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import cookieParser from 'cookie-parser';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Knex } from 'knex';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { csrfGuard } from './auth/csrf.js';
import { startBilling } from './billing/lifecycle.js';
import { startReleaseSweeper } from './releases/sweeper.js';
import { startErrorTriggers } from './events/error-triggers.js';
import { createAuthResolver } from './auth/resolver.js';
import { SecretBox } from './crypto/secret-box.js';
import { webhookIngress } from './hooks/ingress.js';
import { hookResponseHeaders } from './hooks/response-headers.js';
import { stripeWebhook } from './billing/stripe/webhook-routes.js';
import { startMeterReporting } from './billing/stripe/meter-reporter.js';
import { stripeSettingsFromEnv } from './billing/stripe/config.js';
import { WebhookRegistry } from './hooks/webhook-registry.js';
import type { ApiContext } from './http/context.js';
import { cors } from './http/cors.js';
import { createLogger, httpLogger, redactUrl } from './http/logging.js';
import { problemHandler, ProblemError, sendProblem, unauthorized } from './http/problem.js';
import { inputGuard } from './http/input-guard.js';
import { requestId } from './http/request-id.js';
import { createOpenApiRegistry, mountRoutes, type AnyRoute } from './http/route.js';
import { httpSettingsFromEnv, type HttpSettings } from './http/settings.js';
import { httpMetrics, registry as metricsRegistry } from './metrics.js';
import { webhookMetrics } from './observability/index.js';
import { registerSystemPaths } from './openapi.js';
import { allRoutes } from './routes.js';
import type { RuntimeBundle } from './runtime-factory.js';

export interface AppDeps {
  knex: Knex;
  bundle: RuntimeBundle;
  /** Default: a pino logger at REVFLOW_LOG_LEVEL with secrets redacted. */
  logger?: Logger;
  /** Default: read from the REVFLOW_* environment (api/http/settings.ts). */
  settings?: HttpSettings;
  /** Seals secrets at rest; default: a key made for this process only (tests). */
  secrets?: SecretBox;
  /** Default: every route (api/routes.ts). */
  routes?: (ctx: ApiContext) => AnyRoute[];
}

export interface Api {
  app: Express;
  /** The routes that were mounted, in order (tests compare them with the OpenAPI document). */
  routes: readonly AnyRoute[];
  openapi: OpenAPIRegistry;
  /** Stop what the API started beside HTTP (the error-trigger listener); before closing the engine. */
  close: () => Promise<void>;
}

/** The HTTP surface: middleware, /healthz, /readyz, /metrics, every /api/v1 route, errors. */
export function createApi(deps: AppDeps): Api {
  const settings = deps.settings ?? httpSettingsFromEnv();
  const logger = deps.logger ?? createLogger((process.env.REVFLOW_LOG_LEVEL as 'info' | undefined) ?? 'info');
  const openapi = createOpenApiRegistry();
  const secrets = deps.secrets ?? new SecretBox(randomBytes(32));
  const webhooks = new WebhookRegistry(deps.knex, secrets);
  const ctx: ApiContext = {
    knex: deps.knex,
    bundle: deps.bundle,
    logger,
    settings,
    auth: createAuthResolver(deps.knex),
    openapi,
    secrets,
    webhooks,
    publicUrl: settings.publicUrl,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.trustProxy);
  app.use(requestId(), httpMetrics());
  // Every answer under /hooks (Stripe's included): nosniff and a sandbox CSP (DESIGN §6).
  // ...and counted by source and status (revflow_webhook_responses_total).
  app.use('/hooks', webhookMetrics(), hookResponseHeaders());
  // Stripe's webhook endpoint (POST /hooks/stripe): verified against its raw body, before JSON parsing.
  const stripeSettings = stripeSettingsFromEnv();
  app.use(
    stripeWebhook({
      knex: deps.knex,
      runtime: () => ctx.bundle.runtime,
      logger,
      bodyLimit: settings.bodyLimit,
      settings: stripeSettings,
    }),
  );
  // Webhook ingress is the hot path (machines calling in, thousands a second): it reads its raw
  // body (signatures) and skips per-request logging and the browser-facing headers (helmet,
  // CORS). Its errors still reach the problem+json handler at the end, which logs 5xx.
  app.use(
    webhookIngress({
      knex: deps.knex,
      runtime: () => ctx.bundle.runtime,
      webhooks,
      bodyLimit: settings.bodyLimit,
    }),
  );
  app.use(httpLogger(logger), helmet(), cors(settings.corsOrigins));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await deps.knex.raw('select 1');
      res.json({ status: 'ready' });
    } catch {
      sendProblem(res, new ProblemError(503, 'Not ready', 'The database does not answer'));
    }
  });
  app.get('/metrics', metricsEndpoint(settings.metricsToken));
  registerSystemPaths(openapi);

  // JSON and cookies only under /api: webhook ingress (/hooks) reads its raw body to check signatures.
  app.use(
    '/api',
    express.json({ limit: settings.bodyLimit, type: ['application/json', 'application/*+json'] }),
    // NUL, lone surrogates and absurd nesting → 400 naming the field (api/http/input-guard.ts).
    inputGuard(),
    cookieParser(),
    csrfGuard(settings),
  );
  const routes = (deps.routes ?? allRoutes)(ctx);
  const router = express.Router();
  mountRoutes(router, routes, ctx.auth, openapi);
  app.use(router);
  app.use(canvasApp());
  app.use('/api', (req, _res, next) => {
    next(new ProblemError(404, 'Not found', `There is no ${req.method} ${req.baseUrl}${req.path}`));
  });
  app.use(
    problemHandler((error, req) =>
      logger.error(
        { err: error, reqId: req.id, url: redactUrl(req.url) },
        'request failed with an unexpected error',
      ),
    ),
  );
  // trigger.error: failed runs start error workflows for as long as the API runs.
  const errorTriggers = startErrorTriggers(ctx);
  // Billing: trial and expansion events reach workflows; a timer sweeps trials.
  const billing = startBilling(ctx);
  // Usage reaches Stripe Meter Events in rounds while STRIPE_SECRET_KEY is set.
  const meterReporting = startMeterReporting({ knex: deps.knex, logger, settings: stripeSettings });
  // Release center: scheduled notes publish themselves; shipped-feedback emails are retried.
  const releaseSweeper = startReleaseSweeper(ctx);
  const close = async (): Promise<void> => {
    billing.stop();
    await releaseSweeper.stop();
    await meterReporting.stop();
    await errorTriggers?.stop();
  };
  return { app, routes, openapi, close };
}

export function createApp(deps: AppDeps): Express {
  return createApi(deps).app;
}

const CANVAS_DIST = fileURLToPath(new URL('../canvas/dist', import.meta.url));
const NOT_CANVAS = /^\/(api|hooks|healthz|readyz|metrics)(\/|$)/;

/** The built canvas (npm run build): static files, and index.html for every other page GET. */
function canvasApp(): express.Router {
  const router = express.Router();
  const index = `${CANVAS_DIST}/index.html`;
  router.use(express.static(CANVAS_DIST, { index: false, maxAge: '1h' }));
  router.get(/.*/, (req, res, next) => {
    if (NOT_CANVAS.test(req.path)) {
      next();
      return;
    }
    if (existsSync(index)) {
      res.set('Cache-Control', 'no-cache').sendFile(index);
      return;
    }
    res
      .status(503)
      .type('html')
      .send(
        '<!doctype html><title>Revflow</title><p>The canvas is not built yet: run <code>npm run build</code>.</p>',
      );
  });
  return router;
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function metricsEndpoint(token: string | undefined): RequestHandler {
  return async (req, res, next) => {
    try {
      if (token !== undefined && !sameSecret(req.get('authorization') ?? '', `Bearer ${token}`)) {
        throw unauthorized('Send Authorization: Bearer <REVFLOW_METRICS_TOKEN>');
      }
      res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
    } catch (error) {
      next(error);
    }
  };
}
