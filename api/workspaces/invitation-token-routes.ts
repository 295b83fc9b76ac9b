import { z } from 'zod';
import { audit } from '../audit/audit.js';
import { hashPassword } from '../auth/passwords.js';
import { checkPassword, nameSchema, passwordSchema, userSchema } from '../auth/schemas.js';
import { setSessionCookie } from '../auth/session-cookie.js';
import { createSession, type NewSession } from '../auth/sessions.js';
import { findUserByEmail, findUserById, insertUser, userView, type UserRow } from '../auth/users.js';
import { clientInfo } from '../http/client-info.js';
import type { ApiContext } from '../http/context.js';
import { conflict, forbidden, gone, notFound, unauthorized, validationProblem } from '../http/problem.js';
import { problemRateLimit } from '../http/rate-limit.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import {
  findInvitationByToken,
  invitationStatus,
  lockInvitation,
  markAccepted,
  type InvitationRow,
} from './invitations.js';
import { addMember, findMember, lockWorkspace } from './repository.js';
import { invitationPreviewSchema, workspaceSummarySchema, workspaceSummaryView } from './schemas.js';
import { assertSeatAvailable, seatUsage } from '../billing/seats.js';

const tokenParams = z.object({
  token: z.string().min(20, 'Not an invitation token').max(200, 'Not an invitation token'),
});

const acceptBody = z.object({
  name: nameSchema.optional().describe('Only when not logged in: the name of the new account'),
  password: passwordSchema.optional().describe('Only when not logged in: the password of the new account'),
});

/** What a new account needs; the email is the invited one. */
const newAccount = z
  .object({ email: z.string(), name: nameSchema, password: passwordSchema })
  .superRefine(checkPassword);

const acceptedSchema = z
  .object({ user: userSchema, workspace: workspaceSummarySchema })
  .meta({ id: 'AcceptedInvitation' });
export type AcceptedInvitation = z.infer<typeof acceptedSchema>;

/** Who joins: the logged-in user, or a new account to create for the invited email. */
type Joiner = { user: UserRow } | { name: string; passwordHash: string };

/** Accepted, revoked and expired invitations are refused with 410 and the reason. */
function assertUsable(row: InvitationRow): void {
  const status = invitationStatus(row);
  if (status === 'accepted')
    throw gone('accepted', 'This invitation has already been accepted; log in to reach the workspace');
  if (status === 'revoked')
    throw gone('revoked', 'This invitation was revoked; ask the workspace admin for a new one');
  if (status === 'expired')
    throw gone('expired', 'This invitation has expired; ask the workspace admin to resend it');
}

/** The invitee's side: anyone holding the link can look at it and accept it. */
export function invitationTokenRoutes({ knex, settings }: ApiContext): AnyRoute[] {
  const acceptPerIp = problemRateLimit({
    windowMs: settings.rateLimits.windowMs,
    limit: settings.rateLimits.signupPerIp,
    what: 'invitation accepts from this address',
  });

  async function loggedInJoiner(userId: string | null, invitedEmail: string): Promise<Joiner> {
    if (!userId) throw forbidden('Invitations are accepted by people, not API keys');
    const user = await findUserById(knex, userId);
    if (!user) throw unauthorized();
    if (user.email !== invitedEmail) {
      throw forbidden(`This invitation is for ${invitedEmail}; log in with that address to accept it`);
    }
    return { user };
  }

  async function newJoiner(body: z.infer<typeof acceptBody>, invitedEmail: string): Promise<Joiner> {
    const parsed = newAccount.safeParse({ ...body, email: invitedEmail });
    if (!parsed.success) throw validationProblem('body', parsed.error);
    if (await findUserByEmail(knex, invitedEmail)) {
      throw conflict(`An account for ${invitedEmail} already exists; log in, then accept the invitation`, {
        reason: 'account_exists',
      });
    }
    return { name: parsed.data.name, passwordHash: await hashPassword(parsed.data.password) };
  }

  const preview = defineRoute({
    method: 'get',
    path: '/api/v1/invitations/:token',
    summary: 'Look at an invitation before accepting it (no login needed)',
    tags: ['invitations'],
    auth: 'public',
    params: tokenParams,
    responses: {
      200: { description: 'Workspace, inviter, role and status', schema: invitationPreviewSchema },
      ...problemResponses(400, 404),
    },
    async handler({ params }) {
      const row = await findInvitationByToken(knex, params.token);
      if (!row) throw notFound('The invitation');
      const workspace = await knex('workspaces')
        .where({ id: row.workspace_id })
        .first<{ name: string } | undefined>('name');
      return {
        status: 200,
        body: {
          workspace: { name: workspace?.name ?? '' },
          inviter: row.inviter_name,
          email: row.email,
          role: row.role,
          status: invitationStatus(row),
          expiresAt: row.expires_at.toISOString(),
        },
      };
    },
  });

  const accept = defineRoute({
    method: 'post',
    path: '/api/v1/invitations/:token/accept',
    summary: 'Accept an invitation, as the logged-in user or as a new account',
    description:
      'Logged in: the account’s email must be the invited one. Not logged in: send `name` and `password` to create an account for the invited email (and get a session). Expired, revoked or already accepted invitations: 410 with `reason`. The plan’s seats are checked again (402).',
    tags: ['invitations'],
    auth: 'public',
    middleware: [acceptPerIp],
    params: tokenParams,
    body: acceptBody,
    responses: {
      200: {
        description: 'Joined: the workspace with the new role, and the user',
        schema: acceptedSchema,
      },
      ...problemResponses(400, 402, 403, 404, 409, 410, 429),
    },
    async handler({ req, res, params, body, principal }) {
      const invitation = await findInvitationByToken(knex, params.token);
      if (!invitation) throw notFound('The invitation');
      assertUsable(invitation);

      const joiner = principal
        ? await loggedInJoiner(principal.userId, invitation.email)
        : await newJoiner(body, invitation.email);
      const { user, workspace, role, session } = await knex.transaction(async (trx) => {
        const workspace = await lockWorkspace(trx, invitation.workspace_id);
        const current = await lockInvitation(trx, invitation.id);
        assertUsable(current); // it may have changed while the password was hashed
        const user =
          'user' in joiner ? joiner.user : await insertUser(trx, { email: current.email, ...joiner });
        if (await findMember(trx, workspace.id, user.id)) {
          throw conflict('You are already a member of this workspace', { reason: 'already_member' });
        }
        assertSeatAvailable(await seatUsage(trx, workspace), 'accept');
        await addMember(trx, workspace.id, user.id, current.role);
        await markAccepted(trx, current.id, user.id);
        await audit(trx, {
          workspaceId: workspace.id,
          actor: { userId: user.id, apiKeyId: null },
          ...clientInfo(req),
          action: 'invitation.accept',
          target: { type: 'invitation', id: current.id },
          metadata: { email: current.email, role: current.role, newAccount: !('user' in joiner) },
        });
        const session: NewSession | undefined =
          'user' in joiner
            ? undefined
            : await createSession(trx, user.id, settings.sessionTtlMs, clientInfo(req));
        return { user, workspace, role: current.role, session };
      });
      if (session) setSessionCookie(req, res, settings, session.token, session.expiresAt);
      return {
        status: 200,
        body: { user: userView(user), workspace: workspaceSummaryView(workspace, role) },
      };
    },
  });

  return [preview, accept];
}
