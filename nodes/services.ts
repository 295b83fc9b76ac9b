import { z } from 'zod';
import type { Json } from '../engine/json.js';

/**
 * The services the core action nodes reach the world through (DESIGN §4): credentials,
 * outbound HTTP behind the SSRF guard, and SMTP. Declared here, next to the nodes that use
 * them; `api/services.ts` implements them. Nodes never import from api/.
 */

/** A credential's decrypted data, by type. Only nodes see this; the API never returns it. */
export type CredentialSecret =
  | { type: 'apiKey'; key: string; headerName: string }
  | { type: 'basicAuth'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | { type: 'header'; name: string; value: string }
  | {
      type: 'smtp';
      host: string;
      port: number;
      secure: boolean;
      username?: string;
      password?: string;
      /** Default sender. */
      from?: string;
    };

export type CredentialType = CredentialSecret['type'];

export interface ResolvedCredential {
  id: string;
  name: string;
  secret: CredentialSecret;
}

export interface CredentialsService {
  /**
   * The decrypted credential, only when it belongs to `workspaceId` (the run's workspace);
   * otherwise throws a not-found error: a run never reaches another workspace's credentials.
   */
  resolve(workspaceId: string, credentialId: string): Promise<ResolvedCredential>;
}

export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** The response body is cut off (an error) beyond this many bytes. */
  maxResponseBytes: number;
  /** Follow 3xx redirects (each target is checked again by the guard); at most 5. */
  followRedirects: boolean;
  /** Header names that carry credentials: dropped when a redirect leaves the origin. */
  sensitiveHeaders?: string[];
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
  redirects: number;
}

/** Errors of the outbound client carry one of these codes (`error.code`). */
export type OutboundErrorCode =
  'ssrf_blocked' | 'timeout' | 'response_too_large' | 'too_many_redirects' | 'network' | 'invalid_url';

export interface HttpService {
  /** One HTTP exchange for a workspace, through the SSRF guard with its allow-list. */
  request(workspaceId: string, request: OutboundRequest): Promise<OutboundResponse>;
}

export interface MailMessage {
  from?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text?: string;
  html?: string;
  /** `<...@...>`: stable per step, so a re-send after a crash can be deduplicated. */
  messageId: string;
  headers: Record<string, string>;
}

export interface MailService {
  /** Send with the SMTP credential, or the deployment's SMTP_URL when none is given. */
  send(
    workspaceId: string,
    credentialId: string | undefined,
    message: MailMessage,
  ): Promise<{ messageId: string; accepted: string[]; rejected: string[] }>;
  /** Default List-Unsubscribe URL for commercial email (REVFLOW_UNSUBSCRIBE_URL). */
  readonly unsubscribeUrl?: string;
}

/** A task or ticket in Revflow's own tables. */
export interface WorkItemInput {
  title: string;
  description: string;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  assignee?: string;
  /** Tasks only. */
  dueAt?: string;
  /** Tickets only. */
  requester?: string;
  data: Json;
}

export interface WorkItem extends WorkItemInput {
  id: string;
  kind: 'task' | 'ticket';
  status: string;
  /** The run that created it. */
  runId?: string;
  createdAt: string;
}

export interface WorkItemsService {
  /**
   * Create once per `sourceKey` (the step's idempotency key): a second call with the same key
   * returns the row the first one made, so a crash-resumed step adds no duplicate.
   */
  create(
    kind: 'task' | 'ticket',
    workspaceId: string,
    item: WorkItemInput,
    source: { key: string; runId: string },
  ): Promise<{ item: WorkItem; created: boolean }>;
}

/** A quota as the billing nodes see it (billing.checkQuota's output). */
export interface QuotaStatus {
  ok: boolean;
  meter: string;
  /** The plan whose limits apply now (a trial's plan while it runs). */
  planId: string;
  used: number;
  /** Null: unlimited. */
  limit: number | null;
  remaining: number | null;
  /** Over the limit on a plan that bills overage instead of refusing. */
  overage: boolean;
  /** Set when not ok: names the limit, the plan and the plan that has more. */
  message?: string;
}

/**
 * Billing as nodes reach it (issue 6): usage metering and quotas of the run's workspace.
 * `api/billing` implements it. Errors carry `code` (`usage_rejected`, `quota_exceeded`) and,
 * for bad input, `field` (`meter`, `quantity`, `occurredAt`, `idempotencyKey`).
 * A future AI node meters each generation with `recordUsage(ws, { meter: 'ai_generations', ... })`.
 */
export interface BillingService {
  /** Record usage once per key; `counted` is false for a repeat. Over a hard limit: throws quota_exceeded. */
  recordUsage(
    workspaceId: string,
    usage: {
      meter: string;
      quantity: number;
      idempotencyKey: string;
      subject?: string;
      occurredAt?: string;
      /** Refuse (quota_exceeded) instead of recording when it would pass a hard limit. */
      enforce: boolean;
    },
  ): Promise<{ counted: boolean; quota: QuotaStatus }>;
  checkQuota(workspaceId: string, meter: string, quantity: number): Promise<QuotaStatus>;
}

/** What a billing change answers (issue 6): the workspace's billing account after it. */
export interface BillingChangeResult {
  mode: 'stripe' | 'local';
  account: { planId: string; status: string; seats: number; stripeSubscriptionId: string | null };
}

/**
 * Plan, seat and checkout changes of a workspace: through Stripe when STRIPE_SECRET_KEY is set,
 * else on the local billing account. `idempotencyKey` (the step's) is passed to Stripe. Errors
 * carry `code` ('config', 'local_mode', 'no_subscription', 'seats_in_use', 'stripe') and, when a
 * config value is at fault, `field`.
 */
export interface BillingChangeService {
  readonly mode: 'stripe' | 'local';
  changeSeats(workspaceId: string, seats: number, idempotencyKey: string): Promise<BillingChangeResult>;
  changePlan(
    workspaceId: string,
    change: { planId: string; seats?: number },
    idempotencyKey: string,
  ): Promise<BillingChangeResult>;
  checkoutLink(
    workspaceId: string,
    request: { planId: string; seats?: number; successUrl?: string; cancelUrl?: string },
    idempotencyKey: string,
  ): Promise<{ url: string; sessionId: string }>;
}

declare module '../engine/node.js' {
  interface NodeServices {
    billingChanges?: BillingChangeService;
    workItems?: WorkItemsService;
    billing?: BillingService;
    credentials?: CredentialsService;
    http?: HttpService;
    mail?: MailService;
  }
}

/** The service or a clear step error naming what the deployment lacks. */
export function required<T>(service: T | undefined, name: string): T {
  if (!service) throw new Error(`This Revflow process has no ${name} service configured`);
  return service;
}

/** The error code an outbound failure carries, if any. */
export function outboundCode(error: unknown): OutboundErrorCode | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    const code = error.code as OutboundErrorCode;
    return [
      'ssrf_blocked',
      'timeout',
      'response_too_large',
      'too_many_redirects',
      'network',
      'invalid_url',
    ].includes(code)
      ? code
      : undefined;
  }
  return undefined;
}

/** Every secret string of a credential, for redaction. */
export function secretValues(secret: CredentialSecret): string[] {
  const values: string[] = [];
  switch (secret.type) {
    case 'apiKey':
      values.push(secret.key);
      break;
    case 'basicAuth':
      values.push(secret.password, Buffer.from(`${secret.username}:${secret.password}`).toString('base64'));
      break;
    case 'bearer':
      values.push(secret.token);
      break;
    case 'header':
      values.push(secret.value);
      break;
    case 'smtp':
      if (secret.password) values.push(secret.password);
      break;
  }
  // Very short values would redact half the output; they are not secrets worth the name.
  return values.filter((value) => value.length >= 4);
}

/** Replace every occurrence of a secret in strings (keys included) of a JSON value. */
export function redact(value: Json, secrets: readonly string[]): Json {
  if (secrets.length === 0) return value;
  const scrub = (text: string): string =>
    secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  const walk = (item: Json): Json => {
    if (typeof item === 'string') return scrub(item);
    if (Array.isArray(item)) return item.map(walk);
    if (item !== null && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [scrub(key), walk(inner)]));
    }
    return item;
  };
  return walk(value);
}

/**
 * A config field holding a credential id: the canvas shows a dropdown of the workspace's
 * credentials of these types (JSON Schema `format: "credential"`).
 */
export function credentialRef(types: readonly CredentialType[], description: string) {
  return z
    .string()
    .min(1)
    .max(100)
    .describe(description)
    .meta({ format: 'credential', credentialTypes: [...types] });
}
