import { uuidv7 } from '../db/ids.js';
import express, { type Request, type Router } from 'express';
import type { Knex } from 'knex';
import type { Json } from '../../engine/json.js';
import type { Runtime } from '../../engine/runtime.js';
import { finishedRunStatuses } from '../../engine/store.js';
import { badRequest, conflict, notFound, ProblemError, sendProblem } from '../http/problem.js';
import type { RunEvent } from '../../engine/execution.js';
import { isReservedResponseHeader, type WebhookResponse } from '../../nodes/webhook/respond.js';
import { assertCleanInput } from '../http/input-guard.js';
import { WebhookRateLimiter, webhookRateLimitFromEnv } from './rate-limit.js';
import { SignatureReplayGuard } from './replay.js';
import { hookResponseHeaders } from './response-headers.js';
import { SIGNATURE_HEADER, verifySignature } from './signature.js';
import { normalisePath, type WebhookEntry, type WebhookRegistry } from './webhook-registry.js';

export interface IngressDeps {
  knex: Knex;
  /** Read per request: the engine may be set up after the routes. */
  runtime: () => Runtime;
  webhooks: WebhookRegistry;
  bodyLimit: string;
  /** How long an Idempotency-Key is remembered. */
  idempotencyWindowMs?: number;
  /** Requests per second per webhook path; default REVFLOW_WEBHOOK_RATE_LIMIT (api/hooks/rate-limit.ts). */
  rateLimitPerSecond?: number;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Headers a workflow never sees: credentials and our own signature. */
const hiddenHeaders = new Set(['authorization', 'cookie', SIGNATURE_HEADER, 'proxy-authorization']);

function parseBody(req: Request, raw: Buffer): Json {
  if (raw.length === 0) return null;
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const text = raw.toString('utf8');
  if (type.includes('json')) {
    try {
      return JSON.parse(text) as Json;
    } catch {
      throw badRequest('The body is not valid JSON', [{ name: 'body', reason: 'not valid JSON' }]);
    }
  }
  if (type.includes('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(text));
  return text;
}

function eventOf(req: Request, path: string, raw: Buffer): Json {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!hiddenHeaders.has(name) && value !== undefined)
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const body = parseBody(req, raw);
  // What Postgres cannot store or recursive code cannot walk is refused here, naming the field.
  assertCleanInput(body, 'body');
  assertCleanInput(req.query, 'query');
  return { method: req.method, path, headers, query: req.query as Json, body };
}

/**
 * `POST /hooks/:workspaceId/:path` — external systems start workflows. The run (which holds
 * the event) is committed before anything is acknowledged.
 */
export function webhookIngress(deps: IngressDeps): Router {
  const router = express.Router();
  const windowMs = deps.idempotencyWindowMs ?? 24 * 3_600_000;
  const limiter = new WebhookRateLimiter(deps.rateLimitPerSecond ?? webhookRateLimitFromEnv());
  const replays = new SignatureReplayGuard(deps.knex);
  // Every answer under /hooks, problems included: never sniffed, never script in our origin.
  router.use('/hooks', hookResponseHeaders());

  /** Claim an Idempotency-Key for a new run, or return the run that already has it. */
  const claimKey = async (
    entry: WebhookEntry,
    key: string,
    runId: string,
  ): Promise<{ fresh: boolean; runId: string }> => {
    const result = await deps.knex.raw<{ rows: Array<{ run_id: string }> }>(
      `INSERT INTO webhook_idempotency (workspace_id, workflow_id, key, run_id, expires_at)
       VALUES (?, ?, ?, ?, now() + (? * interval '1 millisecond'))
       ON CONFLICT (workspace_id, workflow_id, key) DO UPDATE
         SET run_id = EXCLUDED.run_id, expires_at = EXCLUDED.expires_at
         WHERE webhook_idempotency.expires_at < now()
       RETURNING run_id`,
      [entry.workspaceId, entry.workflowId, key, runId, windowMs],
    );
    if (result.rows[0]) return { fresh: true, runId };
    const existing = await deps
      .knex('webhook_idempotency')
      .where({ workspace_id: entry.workspaceId, workflow_id: entry.workflowId, key })
      .first<{ run_id: string } | undefined>('run_id');
    return { fresh: false, runId: existing?.run_id ?? runId };
  };

  const inactiveHas = async (workspaceId: string, path: string): Promise<boolean> => {
    const probe = JSON.stringify([{ type: 'trigger.webhook', config: { path } }]);
    const row = await deps
      .knex('workflows as w')
      .join('workflow_versions as v', 'v.id', 'w.published_version_id')
      .where('w.workspace_id', workspaceId)
      .where('w.active', false)
      .whereNull('w.deleted_at')
      .whereRaw(`v.document->'nodes' @> ?::jsonb`, [probe])
      .first<{ id: string } | undefined>('w.id');
    return row !== undefined;
  };

  router.all(
    '/hooks/:workspaceId/*path',
    express.raw({ type: () => true, limit: deps.bodyLimit }),
    async (req, res, next) => {
      // Set once this request's signature is remembered: forgotten again if nothing was accepted.
      let remembered: { workflowId: string; signature: string } | undefined;
      try {
        const workspaceId = String(req.params.workspaceId);
        const segments = (req.params as unknown as { path: string[] }).path;
        const path = normalisePath(segments.join('/'));
        if (!uuidPattern.test(workspaceId)) throw notFound('The webhook');
        assertCleanInput(path, 'path');
        const entry = await deps.webhooks.lookup(workspaceId, path);
        if (!entry) {
          if (await inactiveHas(workspaceId, path))
            throw conflict('The workflow behind this webhook is not active');
          throw notFound('The webhook');
        }
        if (req.method !== entry.method) {
          res.set('Allow', entry.method);
          throw new ProblemError(405, 'Method not allowed', `This webhook accepts ${entry.method}`);
        }
        limiter.guard(res, entry.workspaceId, entry.path);
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        let signature: string | undefined;
        if (entry.secret) {
          const check = verifySignature(req.header(SIGNATURE_HEADER), entry.secret, raw);
          if (!check.ok) throw new ProblemError(401, 'Bad signature', check.reason, { reason: check.reason });
          signature = check.signature;
        }
        const input = eventOf(req, path, raw);

        let runId: string = uuidv7();
        const key = req.header('idempotency-key');
        if (key !== undefined && (key.length === 0 || key.length > 255))
          throw badRequest('Idempotency-Key must be 1 to 255 characters', [
            { name: 'headers.idempotency-key', reason: 'length' },
          ]);
        if (signature !== undefined) {
          const verdict = await replays.check(entry.workflowId, signature, key);
          if (verdict === 'replayed') {
            const reason = 'This signed request was already received: sign every delivery anew';
            throw new ProblemError(409, 'Replayed request', reason, { reason });
          }
          if (verdict === 'fresh') remembered = { workflowId: entry.workflowId, signature };
        }
        if (key !== undefined) {
          const claim = await claimKey(entry, key, runId);
          if (!claim.fresh) {
            const first = await deps.runtime().engine.store.getRun(claim.runId);
            if (!first)
              throw conflict('A request with this Idempotency-Key is still being accepted; retry shortly');
            res.set('Idempotent-Replayed', 'true');
            res.status(200).json({ runId: first.id, status: first.status, replayed: true });
            return;
          }
          runId = claim.runId;
        }

        // A synchronous webhook's run may be stored by its first commit (one commit for a short
        // run): respondWhenReady acknowledges nothing before it is stored.
        const startRun = () =>
          deps.runtime().startRun(
            {
              id: runId,
              workspaceId: entry.workspaceId,
              workflowId: entry.workflowId,
              versionId: entry.versionId,
              triggerNodeId: entry.nodeId,
              input,
            },
            { deferCreate: entry.responseMode !== 'immediate' },
          );
        if (entry.responseMode === 'immediate') {
          const run = await startRun();
          res.status(202).json({ runId: run.id, status: run.status });
          return;
        }
        await respondWhenReady(deps, entry, runId, startRun, res);
      } catch (error) {
        // Nothing was accepted (say, the run could not be stored): the sender may retry as is.
        if (remembered && !res.headersSent)
          await replays.forget(remembered.workflowId, remembered.signature).catch(() => undefined);
        next(error);
      }
    },
  );
  return router;
}

const isResponse = (value: unknown): value is WebhookResponse =>
  typeof value === 'object' && value !== null && typeof (value as WebhookResponse).status === 'number';

/**
 * Answer with the Respond node's response as soon as it runs, or with the run's end, or a
 * timeout — whichever comes first. Respond steps are seen through run events, which reach
 * this process from wherever the run executes (in-process or a queue worker).
 */
async function respondWhenReady(
  deps: IngressDeps,
  entry: WebhookEntry,
  runId: string,
  startRun: () => Promise<unknown>,
  res: express.Response,
): Promise<void> {
  const plan = await deps.runtime().engine.planFor(entry.versionId);
  const respondNodes = new Set(
    [...plan.nodes.values()].filter((node) => node.type.type === 'webhook.respond').map((node) => node.id),
  );
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: () => void = () => undefined;
  const responded = new Promise<WebhookResponse>((resolve) => {
    // Listen before the run starts: a short run may respond before startRun returns.
    unsubscribe = deps.runtime().subscribeRun(runId, (event: RunEvent) => {
      if (event.type !== 'step' || !respondNodes.has(event.step.nodeId)) return;
      if (event.step.status === 'succeeded' && isResponse(event.step.output)) resolve(event.step.output);
    });
  });
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), entry.responseTimeoutMs);
  });
  try {
    await startRun();
    const ended = deps.runtime().waitForRun(runId);
    ended.catch(() => undefined);
    const outcome = await Promise.race([responded, ended, timedOut]);
    try {
      await deps.runtime().engine.persist(runId);
    } catch {
      throw new ProblemError(503, 'Not accepted', 'The run could not be stored; nothing was done. Retry.');
    }
    if (isResponse(outcome)) return sendResponse(res, outcome);
    if (outcome === 'timeout') {
      sendProblem(
        res,
        new ProblemError(
          504,
          'Workflow still running',
          `No response within ${entry.responseTimeoutMs} ms; the run goes on`,
          { runId },
        ),
      );
      return;
    }
    // Ended: a Respond step whose event was too large to carry its output is in the database.
    const respondStep = (await deps.runtime().engine.store.getSteps(runId)).find(
      (step) => respondNodes.has(step.nodeId) && step.status === 'succeeded' && isResponse(step.output),
    );
    if (respondStep && isResponse(respondStep.output)) return sendResponse(res, respondStep.output);
    if (outcome.status === 'succeeded') {
      res.status(200).json({ runId, status: outcome.status, output: outcome.output });
      return;
    }
    const detail = finishedRunStatuses.has(outcome.status)
      ? (outcome.error?.message ?? outcome.status)
      : outcome.status;
    sendProblem(res, new ProblemError(502, 'Workflow failed', detail, { runId, runStatus: outcome.status }));
  } finally {
    clearTimeout(timer);
    unsubscribe();
  }
}

/**
 * Written out directly rather than through res.send/res.json: a webhook answer needs no ETag
 * (hashing every body), and this is the hot path. The answer is JSON unless the workflow set a
 * Content-Type; whatever the type, the sandbox CSP and nosniff set for /hooks stay (the node
 * refuses reserved headers; they are skipped here too, for answers stored before that rule).
 */
function sendResponse(res: express.Response, response: WebhookResponse): void {
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(response.headers)) {
    if (isReservedResponseHeader(name) || !/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) continue;
    if (name.toLowerCase() === 'content-type') contentType = value;
    else res.setHeader(name, value);
  }
  const raw = typeof response.body === 'string' && contentType !== undefined;
  const body = raw ? (response.body as string) : (JSON.stringify(response.body) ?? 'null');
  res.setHeader('Content-Type', contentType ?? 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  const status = response.status >= 200 && response.status <= 599 ? response.status : 200;
  res.status(status).end(body);
}
