import type { Request } from 'express';
import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import { clientInfo } from '../http/client-info.js';
import type { ApiContext } from '../http/context.js';
import { unauthorized } from '../http/problem.js';
import { problemRateLimit } from '../http/rate-limit.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { provisionWorkspace, workspacesOfUser } from '../workspaces/repository.js';
import { workspaceNameSchema, workspaceSummarySchema, workspaceSummaryView } from '../workspaces/schemas.js';
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

/** The normalised email of a login body, to count failures per account; null when absent. */
function bodyEmail(req: Request): string | null {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' && email.trim() !== '' ? `email:${email.trim().toLowerCase()}` : null;
}

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
  const loginFailuresPerEmail = problemRateLimit({
    windowMs: limits.windowMs,
    limit: limits.loginFailuresPerEmail,
    what: 'failed login attempts for this email',
    key: bodyEmail,
    failuresOnly: true,
  });

  const signup = defineRoute({
    method: 'post',
    path: '/api/v1/auth/signup',
    summary: 'Create an account and its first workspace (Free plan), and log in',
    description:
      'Passwords need at least 10 characters of two kinds and must not contain the email or name. Sets the `revflow_session` cookie.',
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
      const { user, workspace, session } = await knex.transaction(async (trx) => {
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
      });
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
    description: `One message for an unknown email and a wrong password. After ${limits.loginFailuresPerEmail} failures for one email, or ${limits.loginPerIp} attempts from one address, within the window: 429.`,
    tags: ['auth'],
    auth: 'public',
    middleware: [loginPerIp, loginFailuresPerEmail],
    body: loginBody,
    responses: {
      200: { description: 'Logged in; the session cookie is set', schema: meSchema },
      ...problemResponses(400, 401, 429),
    },
    async handler({ req, res, body, principal }) {
      const user = await findUserByEmail(knex, body.email);
      // Verified against a dummy hash when there is no user: the same time either way.
      const ok = await verifyPassword(user?.password_hash, body.password);
      if (!user || !ok) {
        logger.warn(
          { event: 'auth.login_failed', email: body.email, ip: req.ip, reqId: req.id },
          'login failed',
        );
        throw unauthorized(WRONG_CREDENTIALS);
      }
      // A new token on every login; the session the browser had before is ended.
      if (principal?.sessionId) await deleteSession(knex, principal.sessionId);
      const session = await createSession(knex, user.id, settings.sessionTtlMs, clientInfo(req));
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
