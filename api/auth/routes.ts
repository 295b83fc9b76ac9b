import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import { clientInfo } from '../http/client-info.js';
import type { ApiContext } from '../http/context.js';
import { ProblemError, tooManyRequests, unauthorized } from '../http/problem.js';
import { problemRateLimit } from '../http/rate-limit.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { provisionWorkspace, workspacesOfUser } from '../workspaces/repository.js';
import { workspaceNameSchema, workspaceSummarySchema, workspaceSummaryView } from '../workspaces/schemas.js';
import { decoySignup, tellOwnerAboutSignup } from './existing-account.js';
import { LoginThrottle } from './login-throttle.js';
import { hashPassword, prepareLoginTiming, verifyPassword } from './passwords.js';
import { PASSWORD_MAX_LENGTH } from './password-rules.js';
import { isInstanceAdminUser } from './instance-admins.js';
import { requireUser } from './principal.js';
import { checkPassword, emailSchema, nameSchema, passwordSchema, userSchema } from './schemas.js';
import { clearSessionCookie, setSessionCookie } from './session-cookie.js';
import { createSession, deleteSession } from './sessions.js';
import { findUserByEmail, findUserById, insertUser, userView } from './users.js';

const signupBody = z
  .object({
    email: emailSchema,
    password: passwordSchema,
    name: nameSchema,
    workspaceName: workspaceNameSchema.optional().describe('Default: "<name>\'s workspace"'),
  })
  .superRefine(checkPassword);

const loginBody = z.object({
  email: emailSchema,
  password: z.string().min(1, 'Enter your password').max(PASSWORD_MAX_LENGTH, 'Password is too long'),
});

const meSchema = z
  .object({
    user: userSchema,
    workspaces: z.array(workspaceSummarySchema),
    instanceAdmin: z.boolean().describe('Listed in REVFLOW_ADMIN_EMAILS: runs the instance'),
  })
  .meta({ id: 'Me' });
const signupResultSchema = z
  .object({ user: userSchema, workspace: workspaceSummarySchema })
  .meta({ id: 'SignupResult' });
export type Me = z.infer<typeof meSchema>;
export type SignupResult = z.infer<typeof signupResultSchema>;

const WRONG_CREDENTIALS = 'Email or password is wrong';

/** Sign up, log in, log out, and who am I. Sessions are cookies (see session-cookie.ts, csrf.ts). */
export function authRoutes(ctx: ApiContext): AnyRoute[] {
  const { knex, settings, logger } = ctx;
  void prepareLoginTiming();
  const limits = settings.rateLimits;
  const signupPerIp = problemRateLimit({
    windowMs: limits.windowMs,
    limit: limits.signupPerIp,
    what: 'sign-ups from this address',
  });
  const loginPerIp = problemRateLimit({
    windowMs: limits.windowMs,
    limit: limits.loginPerIp,
    what: 'login attempts from this address',
  });
  // Wrong passwords slow the guesser, per email and per email+address, in Postgres (login-throttle.ts).
  const throttle = new LoginThrottle(knex, limits);

  const signup = defineRoute({
    method: 'post',
    path: '/api/v1/auth/signup',
    summary: 'Create an account and its first workspace (Free plan), and log in',
    description:
      'Passwords need at least 10 characters of two kinds, must not contain the email or name, and must not be ' +
      'easy to guess (zxcvbn score 3 of 4). Sets the `revflow_session` cookie. An email that already has an ' +
      'account gets the same answer (its owner is told by email); no session is made for it.',
    tags: ['auth'],
    auth: 'public',
    middleware: [signupPerIp],
    body: signupBody,
    responses: {
      201: {
        description: 'The new user and workspace; the session cookie is set',
        schema: signupResultSchema,
      },
      ...problemResponses(400, 409, 413, 429),
    },
    async handler({ req, res, body }) {
      const passwordHash = await hashPassword(body.password);
      const created = await knex
        .transaction(async (trx) => {
          const user = await insertUser(trx, { email: body.email, name: body.name, passwordHash });
          const workspace = await provisionWorkspace(trx, {
            name: body.workspaceName ?? `${body.name}'s workspace`,
            ownerId: user.id,
          });
          await audit(trx, {
            workspaceId: workspace.id,
            ...auditSource(req, { via: 'session', userId: user.id }),
            action: 'workspace.create',
            target: { type: 'workspace', id: workspace.id },
            metadata: { name: workspace.name, via: 'signup' },
          });
          const session = await createSession(trx, user.id, settings.sessionTtlMs, clientInfo(req));
          return { user, workspace, session };
        })
        .catch((error: unknown) => {
          if (error instanceof ProblemError && error.status === 409) return null;
          throw error;
        });
      if (!created) {
        // The email has an account: answer as for a new one, and tell its owner (existing-account.ts).
        const decoy = decoySignup(body);
        logger.warn(
          { event: 'auth.signup_existing_email', ip: req.ip, reqId: req.id },
          'sign-up with a taken email',
        );
        tellOwnerAboutSignup(settings, logger, req, body.email);
        setSessionCookie(req, res, settings, decoy.token, new Date(Date.now() + settings.sessionTtlMs));
        return { status: 201, body: decoy.result };
      }
      const { user, workspace, session } = created;
      setSessionCookie(req, res, settings, session.token, session.expiresAt);
      return {
        status: 201,
        body: { user: userView(user), workspace: workspaceSummaryView(workspace, 'owner') },
      };
    },
  });

  const login = defineRoute({
    method: 'post',
    path: '/api/v1/auth/login',
    summary: 'Log in with email and password',
    description:
      `One message for an unknown email and a wrong password. After ${limits.loginFailuresPerEmail} failures for ` +
      `one email, each further attempt waits ${limits.loginDelayMs} ms, doubling per failure (429 with ` +
      'Retry-After inside the wait): at most 32 times that from another address, up to the window from the ' +
      `failing one. ${limits.loginPerIp} attempts from one address per window, then 429.`,
    tags: ['auth'],
    auth: 'public',
    middleware: [loginPerIp],
    body: loginBody,
    responses: {
      200: { description: 'Logged in; the session cookie is set', schema: meSchema },
      ...problemResponses(400, 401, 429),
    },
    async handler({ req, res, body, principal }) {
      const address = req.ip ?? 'unknown';
      // Before the password is checked: inside a wait, the right password is not tried either.
      const wait = await throttle.waitSeconds(body.email, address);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        throw tooManyRequests(`Too many failed login attempts for this email; try again in ${wait} s`);
      }
      const user = await findUserByEmail(knex, body.email);
      // Verified against a dummy hash when there is no user: the same time either way.
      const ok = await verifyPassword(user?.password_hash, body.password);
      if (!user || !ok) {
        await throttle.failed(body.email, address);
        logger.warn(
          { event: 'auth.login_failed', email: body.email, ip: req.ip, reqId: req.id },
          'login failed',
        );
        throw unauthorized(WRONG_CREDENTIALS);
      }
      await throttle.succeeded(body.email, address);
      // A new token on every login; the session the browser had before is ended.
      if (principal?.sessionId) await deleteSession(knex, principal.sessionId);
      const session = await createSession(knex, user.id, settings.sessionTtlMs, clientInfo(req));
      await (await import('../analytics/logins.js')).recordLogin(knex, user.id, logger);
      setSessionCookie(req, res, settings, session.token, session.expiresAt);
      const workspaces = await workspacesOfUser(knex, user.id);
      return {
        status: 200,
        body: {
          user: userView(user),
          workspaces: workspaces.map((w) => workspaceSummaryView(w, w.role)),
          instanceAdmin: await isInstanceAdminUser(knex, user.id),
        },
      };
    },
  });

  const logout = defineRoute({
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: 'End the current session',
    description:
      'Idempotent: without a session it only clears the cookie. API keys are revoked, not logged out.',
    tags: ['auth'],
    auth: 'public',
    responses: { 204: { description: 'Logged out; the cookie is cleared' }, ...problemResponses(403) },
    async handler({ req, res, principal }) {
      if (principal?.sessionId) await deleteSession(knex, principal.sessionId);
      clearSessionCookie(req, res, settings);
      return { status: 204 };
    },
  });

  const me = defineRoute({
    method: 'get',
    path: '/api/v1/me',
    summary: 'The logged-in user and their workspaces with roles',
    description: 'For people only: an API key gets 403 (a key belongs to a workspace, not a person).',
    tags: ['auth'],
    auth: 'user',
    responses: { 200: { description: 'The user', schema: meSchema }, ...problemResponses(401, 403) },
    async handler({ principal }) {
      const userId = requireUser(principal);
      const user = await findUserById(knex, userId);
      if (!user) throw unauthorized();
      const workspaces = await workspacesOfUser(knex, userId);
      return {
        status: 200,
        body: {
          user: userView(user),
          workspaces: workspaces.map((w) => workspaceSummaryView(w, w.role)),
          instanceAdmin: await isInstanceAdminUser(knex, userId),
        },
      };
    },
  });

  return [signup, login, logout, me];
}
