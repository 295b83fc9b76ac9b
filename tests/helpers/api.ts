import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApi, type Api, type AppDeps } from '../../api/app.js';
import type { Me, SignupResult } from '../../api/auth/routes.js';
import { SecretBox } from '../../api/crypto/secret-box.js';
import { createLogger } from '../../api/http/logging.js';
import { httpSettingsFromEnv, type HttpSettings, type RateLimitSettings } from '../../api/http/settings.js';
import type { RuntimeBundle } from '../../api/runtime-factory.js';
import { freshDatabase, type TestDatabase } from '../setup/db.js';

/**
 * A real Revflow server for API tests: `createApi` on a fresh database, listening on
 * 127.0.0.1 with a free port, and fetch-based clients that each keep their own cookies.
 */

/** An RFC 9457 problem as Revflow sends it, with the extension members tests look at. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  invalidParams?: Array<{ name: string; reason: string }>;
  reason?: string;
  plan?: string;
  seatLimit?: number;
  seatsUsed?: number;
  invitationId?: string;
}

export interface List<T> {
  items: T[];
}

/**
 * A response. `T` is what the test expects the JSON body to be (a problem by default); the
 * server's answer is not checked against it — assertions do that.
 */
export interface ApiResponse<T = ProblemBody> {
  status: number;
  headers: Headers;
  /** Parsed JSON (or problem+json); null when the body is empty or not JSON (see `text`). */
  body: T;
  text: string;
  /** Raw `Set-Cookie` lines of this response. */
  setCookies: string[];
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Sent as is instead of JSON-encoding `body`. */
  rawBody?: string;
}

export interface Account {
  email: string;
  password: string;
  name: string;
  userId: string;
  workspaceId: string;
}

let accountCounter = 0;

/** A fresh, valid sign-up body: unique email, a password that passes the rules. */
export function newAccountDetails(
  overrides: Partial<{ email: string; password: string; name: string }> = {},
): {
  email: string;
  password: string;
  name: string;
} {
  accountCounter += 1;
  return {
    email: `person${accountCounter}-${Math.random().toString(36).slice(2, 8)}@example.com`,
    password: 'correct Horse battery 9',
    name: `Person ${accountCounter}`,
    ...overrides,
  };
}

export class ApiClient {
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly defaults: { csrf: boolean; headers: Record<string, string> } = {
      csrf: true,
      headers: {},
    },
  ) {}

  /** The session cookie's value, if this client holds one. */
  get sessionCookie(): string | undefined {
    return this.cookies.get('revflow_session');
  }

  /** Forget cookies (a logged-out browser). */
  clearCookies(): void {
    this.cookies.clear();
  }

  async request<T = ProblemBody>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.defaults.headers };
    // What the canvas sends with every unsafe request (see api/auth/csrf.ts).
    if (this.defaults.csrf) headers['x-revflow-csrf'] = '1';
    if (this.cookies.size > 0)
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    let payload: string | undefined = options.rawBody;
    if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, options.headers);
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const setCookies = response.headers.getSetCookie();
    this.remember(setCookies);
    const text = await response.text();
    const json = /json/.test(response.headers.get('content-type') ?? '') && text !== '';
    const parsed = (json ? JSON.parse(text) : null) as T;
    return { status: response.status, headers: response.headers, body: parsed, text, setCookies };
  }

  get<T = ProblemBody>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, undefined, options);
  }
  post<T = ProblemBody>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body, options);
  }
  patch<T = ProblemBody>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('PATCH', path, body, options);
  }
  put<T = ProblemBody>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('PUT', path, body, options);
  }
  delete<T = ProblemBody>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path, undefined, options);
  }

  /** Sign up (and stay logged in); fails the test when it does not answer 201. */
  async signup(overrides: Partial<{ email: string; password: string; name: string }> = {}): Promise<Account> {
    const details = newAccountDetails(overrides);
    const response = await this.post<SignupResult>('/api/v1/auth/signup', details);
    if (response.status !== 201) throw new Error(`signup answered ${response.status}: ${response.text}`);
    return {
      ...details,
      email: response.body.user.email,
      userId: response.body.user.id,
      workspaceId: response.body.workspace.id,
    };
  }

  /** Log in; `T` is ProblemBody for a login expected to fail. */
  async login<T = Me>(email: string, password: string): Promise<ApiResponse<T>> {
    return this.post<T>('/api/v1/auth/login', { email, password });
  }

  private remember(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some((attribute) => {
        const [key = '', val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key.toLowerCase() === 'expires') return new Date(val).getTime() <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

export interface TestApi {
  baseUrl: string;
  db: TestDatabase;
  api: Api;
  settings: HttpSettings;
  /** The key the API seals secrets with (and the engine, if started, opens them with). */
  secrets: SecretBox;
  /** A client with its own cookie jar; `csrf: false` leaves out the X-Revflow-CSRF header. */
  client(options?: { csrf?: boolean; headers?: Record<string, string> }): ApiClient;
  /** A client that authenticates with an API key (no cookies). */
  keyClient(key: string): ApiClient;
  close(): Promise<void>;
}

export interface StartApiOptions {
  settings?: Partial<Omit<HttpSettings, 'rateLimits'>> & { rateLimits?: Partial<RateLimitSettings> };
  /**
   * `engine: true` runs a real embedded engine (in-process runs, the schedule sync) on the test
   * database; `bundle` passes one made elsewhere. Default: none — touching it throws, which
   * the account routes never do, and the isolate sandbox is not even loaded.
   */
  engine?: boolean;
  bundle?: RuntimeBundle;
  routes?: AppDeps['routes'];
  /** Default: silent (REVFLOW_TEST_LOG_LEVEL to see logs). */
  logger?: Logger;
}

/** A stand-in for the engine that says clearly what went wrong if a route reaches for it. */
function noEngine(): RuntimeBundle {
  return new Proxy({} as RuntimeBundle, {
    get(_target, property) {
      if (property === 'then') return undefined;
      throw new Error(
        `this test server has no engine (bundle.${String(property)}); pass startApi({ bundle })`,
      );
    },
  });
}

/** The engine as `npm start` runs it without REDIS_URL: runs execute in this process. */
async function startEngine(db: TestDatabase, logger: Logger, secrets: SecretBox): Promise<RuntimeBundle> {
  // Imported here so account-only suites never load isolated-vm.
  const [{ createRuntime }, { loadConfig }, { createNodeServices }] = await Promise.all([
    import('../../api/runtime-factory.js'),
    import('../../api/config.js'),
    import('../../api/services.js'),
  ]);
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, REDIS_URL: undefined });
  const bundle = createRuntime(config, db.knex, logger, createNodeServices({ knex: db.knex, secrets }), {
    role: 'api',
    runtime: { sweepIntervalMs: 500 },
  });
  await bundle.start();
  return bundle;
}

export async function startApi(options: StartApiOptions = {}): Promise<TestApi> {
  const db = await freshDatabase();
  const defaults = httpSettingsFromEnv({});
  const settings: HttpSettings = {
    ...defaults,
    ...options.settings,
    // Generous by default so suites can sign up many people; rate-limit tests lower them.
    rateLimits: {
      ...defaults.rateLimits,
      signupPerIp: 10_000,
      loginPerIp: 10_000,
      loginFailuresPerEmail: 10_000,
      ...options.settings?.rateLimits,
    },
  };
  const logger =
    options.logger ?? createLogger((process.env.REVFLOW_TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent');
  // One key for the API (sealing credentials) and the engine (opening them in nodes).
  const secrets = new SecretBox(randomBytes(32));
  const ownEngine = options.engine && !options.bundle ? await startEngine(db, logger, secrets) : undefined;
  const api = createApi({
    knex: db.knex,
    secrets,
    bundle: options.bundle ?? ownEngine ?? noEngine(),
    logger,
    settings,
    ...(options.routes ? { routes: options.routes } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const listening = api.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    db,
    api,
    settings,
    secrets,
    client: (clientOptions = {}) =>
      new ApiClient(baseUrl, { csrf: clientOptions.csrf ?? true, headers: clientOptions.headers ?? {} }),
    keyClient: (key) => new ApiClient(baseUrl, { csrf: false, headers: { authorization: `Bearer ${key}` } }),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await api.close();
      await ownEngine?.close();
      await db.drop();
    },
  };
}

export interface Member {
  client: ApiClient;
  account: Account;
}

export interface Team {
  workspaceId: string;
  owner: Member;
  admin: Member;
  member: Member;
  viewer: Member;
  /** Someone with a workspace of their own and no access to the team's. */
  outsider: Member;
}

/**
 * A workspace with one person of each role, and an outsider. Everyone signs up through the
 * API; the memberships are written directly, since joining is what other tests are about.
 */
export async function createTeam(server: TestApi): Promise<Team> {
  const person = async (): Promise<Member> => {
    const client = server.client();
    return { client, account: await client.signup() };
  };
  const [owner, admin, member, viewer, outsider] = await Promise.all([
    person(),
    person(),
    person(),
    person(),
    person(),
  ]);
  const workspaceId = owner.account.workspaceId;
  // Enough seats for the team plus what tests add.
  await server.db
    .knex('workspaces')
    .where({ id: workspaceId })
    .update({ plan: 'professional', name: 'Team workspace' });
  await server.db.knex('memberships').insert(
    (['admin', 'member', 'viewer'] as const).map((role) => ({
      workspace_id: workspaceId,
      user_id: { admin, member, viewer }[role].account.userId,
      role,
    })),
  );
  await server.db
    .knex('workspaces')
    .where({ id: outsider.account.workspaceId })
    .update({ name: 'Outsider secret workspace' });
  return { workspaceId, owner, admin, member, viewer, outsider };
}

/** The field names a validation problem lists, sorted: `['body.email', 'body.role']`. */
export function invalidFields(body: ProblemBody): string[] {
  return (body.invalidParams ?? []).map((param) => param.name).sort();
}
