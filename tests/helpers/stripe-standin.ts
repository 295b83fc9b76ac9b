import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local HTTP server that stands in for api.stripe.com: the real `stripe` SDK is pointed at it
 * (host/port/protocol), it records every request (method, path, form body, Idempotency-Key) and
 * answers with Stripe's own example objects from tests/fixtures/stripe/fixtures3.json (a copy of ../shared's),
 * cloned and adjusted (ids, quantities, urls). Like Stripe, a repeated Idempotency-Key replays
 * the first answer, and a meter event identifier is counted once.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Stripe fixtures are free-form JSON objects
export type StripeObject = Record<string, any>;

const FIXTURES_PATH =
  process.env.REVFLOW_STRIPE_FIXTURES ??
  new URL('../fixtures/stripe/fixtures3.json', import.meta.url).pathname;

let fixtureCache: Record<string, StripeObject> | undefined;

/** A deep copy of Stripe's example object for a resource (`subscription`, `invoice`, `event`, ...). */
export function fixture(resource: string): StripeObject {
  fixtureCache ??= (
    JSON.parse(readFileSync(FIXTURES_PATH, 'utf8')) as { resources: Record<string, StripeObject> }
  ).resources;
  const found = fixtureCache[resource];
  if (!found) throw new Error(`fixtures3.json has no "${resource}"`);
  return structuredClone(found);
}

export interface RecordedRequest {
  method: string;
  /** Without the query string. */
  path: string;
  query: Record<string, string>;
  /** The form body as Stripe receives it: flat bracketed keys (`items[0][quantity]`). */
  form: Record<string, string>;
  idempotencyKey: string | undefined;
  /** The status the stand-in answered. */
  status: number;
}

export interface Answer {
  status: number;
  body: StripeObject;
}

type Handler = (request: RecordedRequest, match: RegExpMatchArray) => Answer | StripeObject;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export interface StripeStandIn {
  /** `http://127.0.0.1:<port>`: STRIPE_API_BASE. */
  url: string;
  requests: RecordedRequest[];
  /** Requests to a method + path (exact or pattern). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  /** The next `count` requests matching method + path answer `status` with a Stripe error. */
  failNext(method: string, path: string | RegExp, status: number, count?: number): void;
  /** Replace (or add) the answer for a method + path pattern; newest routes win. */
  on(method: string, pattern: RegExp, handler: Handler): void;
  /** Subscriptions the stand-in knows (GET and POST /v1/subscriptions/:id read and update them). */
  subscriptions: Map<string, StripeObject>;
  /** Meter event identifiers Stripe accepted: each counted once, like Stripe's own dedup. */
  meterEvents: Map<string, StripeObject>;
  /** A client of the real SDK pointed at the stand-in. */
  client(): Stripe;
  close(): Promise<void>;
}

const id = (prefix: string): string => `${prefix}_${randomBytes(8).toString('hex')}`;

/** Flat form fields starting with `prefix[`: `lookup_keys[0]`, `lookup_keys[1]` → values in order. */
export function formList(form: Record<string, string>, prefix: string): string[] {
  return Object.entries(form)
    .filter(([key]) => key.startsWith(`${prefix}[`) && /^\[\d+\]$/.test(key.slice(prefix.length)))
    .map(([, value]) => value);
}

/** `items[0][price]`, `items[0][quantity]`, ... → [{ price, quantity }, ...]. */
export function formItems(form: Record<string, string>, prefix: string): Array<Record<string, string>> {
  const items: Array<Record<string, string>> = [];
  const pattern = new RegExp(`^${prefix.replace(/[[\]]/g, '\\$&')}\\[(\\d+)\\]\\[([a-z_]+)\\]$`);
  for (const [key, value] of Object.entries(form)) {
    const match = pattern.exec(key);
    if (!match) continue;
    const index = Number(match[1]);
    items[index] = { ...items[index], [match[2]!]: value };
  }
  return items.filter(Boolean);
}

/** A price (the fixture) with this lookup key: seat and plan prices licensed, `*_metered` ones metered. */
export function priceFor(lookupKey: string): StripeObject {
  const price = fixture('price');
  price.id = `price_${lookupKey.replace(/[^A-Za-z0-9]/g, '_')}`;
  price.lookup_key = lookupKey;
  if (/meter|usage|overage/.test(lookupKey)) {
    price.recurring.usage_type = 'metered';
    price.recurring.meter = `mtr_${lookupKey.replace(/[^A-Za-z0-9]/g, '_')}`;
  }
  return price;
}

/** A subscription (the fixture) with one item per price lookup key and quantity. */
export function subscriptionWith(
  items: Array<{ lookupKey: string; quantity?: number }>,
  overrides: StripeObject = {},
): StripeObject {
  const subscription = fixture('subscription');
  const template = subscription.items.data[0] as StripeObject;
  const now = Math.floor(Date.now() / 1000);
  subscription.id = overrides.id ?? id('sub');
  subscription.items.data = items.map((item) => {
    const entry = structuredClone(template);
    entry.id = id('si');
    entry.subscription = subscription.id;
    entry.price = priceFor(item.lookupKey);
    entry.quantity = item.quantity ?? 1;
    entry.current_period_start = now - 86_400;
    entry.current_period_end = now + 29 * 86_400;
    return entry;
  });
  subscription.status = 'active';
  subscription.trial_end = null;
  subscription.trial_start = null;
  subscription.cancel_at = null;
  subscription.canceled_at = null;
  subscription.ended_at = null;
  subscription.cancel_at_period_end = false;
  subscription.created = now - 86_400;
  Object.assign(subscription, overrides);
  return subscription;
}

function stripeError(status: number, message: string): Answer {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
  return { status, body: { error: { type, message } } };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startStripeStandIn(): Promise<StripeStandIn> {
  const requests: RecordedRequest[] = [];
  const routes: Route[] = [];
  const failures: Array<{ method: string; path: string | RegExp; status: number; left: number }> = [];
  const replays = new Map<string, Answer>();
  const subscriptions = new Map<string, StripeObject>();
  const meterEvents = new Map<string, StripeObject>();
  const customers = new Map<string, StripeObject>();

  const on = (method: string, pattern: RegExp, handler: Handler): void => {
    routes.unshift({ method: method.toUpperCase(), pattern, handler });
  };
  const matches = (path: string, wanted: string | RegExp): boolean =>
    typeof wanted === 'string' ? path === wanted : wanted.test(path);

  // --- default answers, from the fixtures -------------------------------------------------
  on('POST', /^\/v1\/customers$/, ({ form }) => {
    const customer = fixture('customer');
    customer.id = id('cus');
    customer.discount = null;
    customer.name = form.name ?? null;
    customer.email = form.email ?? null;
    customer.metadata = Object.fromEntries(
      Object.entries(form)
        .filter(([key]) => key.startsWith('metadata['))
        .map(([key, value]) => [key.slice('metadata['.length, -1), value]),
    );
    customers.set(customer.id as string, customer);
    return customer;
  });
  on('GET', /^\/v1\/prices$/, ({ query }) => {
    const keys = formList(query, 'lookup_keys');
    return { object: 'list', data: keys.map(priceFor), has_more: false, url: '/v1/prices' };
  });
  on('GET', /^\/v1\/subscriptions\/([^/]+)$/, (_request, match) => {
    const found = subscriptions.get(match[1]!);
    return found ?? stripeError(404, `No such subscription: '${match[1]}'`);
  });
  on('POST', /^\/v1\/subscriptions\/([^/]+)$/, ({ form }, match) => {
    const subscription = subscriptions.get(match[1]!);
    if (!subscription) return stripeError(404, `No such subscription: '${match[1]}'`);
    for (const change of formItems(form, 'items')) {
      const item = (subscription.items.data as StripeObject[]).find((entry) => entry.id === change.id);
      if (!item) continue;
      if (change.price) item.price = priceFor(change.price.replace(/^price_/, ''));
      if (change.quantity !== undefined) item.quantity = Number(change.quantity);
    }
    for (const [key, value] of Object.entries(form)) {
      if (key.startsWith('metadata[')) subscription.metadata[key.slice('metadata['.length, -1)] = value;
    }
    return subscription;
  });
  on('POST', /^\/v1\/invoices\/create_preview$/, ({ form }) => {
    const invoice = fixture('invoice');
    invoice.id = id('upcoming_in');
    invoice.customer = form.customer ?? invoice.customer;
    invoice.status = 'draft';
    return invoice;
  });
  on('GET', /^\/v1\/invoices$/, ({ query }) => {
    const invoice = fixture('invoice');
    invoice.customer = query.customer ?? invoice.customer;
    invoice.status = 'paid';
    invoice.number = 'REVFLOW-0001';
    invoice.hosted_invoice_url = 'https://invoice.stripe.com/i/acct_123/test_123';
    return { object: 'list', data: [invoice], has_more: false, url: '/v1/invoices' };
  });
  on('POST', /^\/v1\/checkout\/sessions$/, ({ form }) => {
    const session = fixture('checkout.session');
    session.id = id('cs_test');
    session.mode = form.mode ?? 'subscription';
    session.customer = form.customer ?? null;
    session.client_reference_id = form.client_reference_id ?? null;
    session.success_url = form.success_url ?? session.success_url;
    session.cancel_url = form.cancel_url ?? session.cancel_url;
    session.payment_intent = null;
    session.url = `https://checkout.stripe.com/c/pay/${session.id as string}`;
    return session;
  });
  on('POST', /^\/v1\/billing_portal\/sessions$/, ({ form }) => {
    const session = fixture('billing_portal.session');
    session.id = id('bps');
    session.customer = form.customer ?? session.customer;
    session.return_url = form.return_url ?? session.return_url;
    session.flow = null;
    session.url = `https://billing.stripe.com/p/session/${session.id as string}`;
    return session;
  });
  on('POST', /^\/v1\/billing\/meter_events$/, ({ form }) => {
    const identifier = form.identifier ?? id('mev');
    const known = meterEvents.get(identifier);
    if (known) return known;
    const event = fixture('billing.meter_event');
    event.event_name = form.event_name;
    event.identifier = identifier;
    event.payload = Object.fromEntries(
      Object.entries(form)
        .filter(([key]) => key.startsWith('payload['))
        .map(([key, value]) => [key.slice('payload['.length, -1), value]),
    );
    event.timestamp = Number(form.timestamp ?? Math.floor(Date.now() / 1000));
    meterEvents.set(identifier, event);
    return event;
  });

  const answer = (request: RecordedRequest): Answer => {
    const failure = failures.find(
      (entry) => entry.left > 0 && entry.method === request.method && matches(request.path, entry.path),
    );
    if (failure) {
      failure.left -= 1;
      return stripeError(failure.status, `Stand-in failure (${failure.status})`);
    }
    for (const route of routes) {
      if (route.method !== request.method) continue;
      const match = route.pattern.exec(request.path);
      if (!match) continue;
      const result = route.handler(request, match);
      return 'status' in result && 'body' in result && typeof result.status === 'number'
        ? (result as Answer)
        : { status: 200, body: result };
    }
    return stripeError(404, `Unrecognized request URL (${request.method}: ${request.path})`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const idempotencyKey = req.headers['idempotency-key'];
    const request: RecordedRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form: Object.fromEntries(new URLSearchParams(raw)),
      idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
      status: 0,
    };
    const replayKey = request.idempotencyKey && `${request.method} ${request.path} ${request.idempotencyKey}`;
    const replayed = replayKey ? replays.get(replayKey) : undefined;
    const result = replayed ?? answer(request);
    // Stripe stores the first answer for a key, except errors worth retrying (5xx, 429).
    if (replayKey && !replayed && result.status < 500 && result.status !== 429)
      replays.set(replayKey, result);
    request.status = result.status;
    requests.push(request);
    res.writeHead(result.status, {
      'content-type': 'application/json',
      'request-id': id('req'),
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
    res.end(JSON.stringify(result.body));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    requestsTo: (method, path) =>
      requests.filter((request) => request.method === method.toUpperCase() && matches(request.path, path)),
    failNext: (method, path, status, count = 1) =>
      failures.push({ method: method.toUpperCase(), path, status, left: count }),
    on,
    subscriptions,
    meterEvents,
    client: () =>
      new Stripe('sk_test_standin', { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A Stripe event envelope (the `event` fixture) around an object, as a webhook delivers it. */
export function eventFor(type: string, object: StripeObject, overrides: StripeObject = {}): StripeObject {
  const event = fixture('event');
  event.id = overrides.id ?? id('evt');
  event.type = type;
  event.data = { object };
  event.created = Math.floor(Date.now() / 1000);
  event.api_version = '2026-10-28.endive';
  return Object.assign(event, overrides);
}

/** Body and Stripe-Signature header of a webhook delivery, signed like Stripe signs it. */
export function signedDelivery(
  event: StripeObject,
  secret: string,
  options: { timestamp?: number } = {},
): { body: string; signature: string } {
  const body = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret,
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
  });
  return { body, signature };
}
