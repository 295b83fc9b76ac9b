import type { Request } from 'express';
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { uuidv7 } from '../db/ids.js';
import type { HttpSettings } from '../http/settings.js';
import { createMailer } from '../mail/mailer.js';

/** The shape of routes.ts's SignupResult, said here so this module needs nothing from routes. */
interface DecoySignup {
  user: { id: string; email: string; name: string; createdAt: string };
  workspace: { id: string; name: string; slug: string; plan: string; role: 'owner'; createdAt: string };
}

/**
 * Sign-up with an email that already has an account (issue 11): the answer looks exactly like a
 * new account's (201, the same body shape, a session cookie), so sign-up does not tell anyone
 * which emails have accounts. The cookie is a random token no session has, and the real owner
 * is told by email (when SMTP_URL is set) that someone tried, with a link to log in.
 */
export function decoySignup(body: { email: string; name: string; workspaceName?: string }): {
  result: DecoySignup;
  token: string;
} {
  const now = new Date().toISOString();
  const workspaceName = body.workspaceName ?? `${body.name}'s workspace`;
  return {
    token: randomBytes(32).toString('base64url'),
    result: {
      user: { id: uuidv7(), email: body.email, name: body.name, createdAt: now },
      workspace: {
        id: uuidv7(),
        name: workspaceName,
        slug: workspaceName
          .toLowerCase()
          .normalize('NFKD')
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 48),
        plan: 'free',
        role: 'owner',
        createdAt: now,
      },
    },
  };
}

/** Tell the owner; never awaited by the request (its timing would tell), never throws. */
export function tellOwnerAboutSignup(
  settings: HttpSettings,
  logger: Logger,
  req: Request,
  email: string,
): void {
  const mail = settings.accountMail;
  if (!mail) return;
  const mailer = createMailer({
    credentials: {
      resolve: () => Promise.reject(new Error('account mail uses SMTP_URL only')),
    },
    smtpUrl: mail.smtpUrl,
  });
  const loginUrl = `${settings.publicUrl}/login`;
  void mailer
    .send('', undefined, {
      from: mail.from,
      to: [email],
      cc: [],
      bcc: [],
      subject: 'Someone tried to sign up to Revflow with your email',
      text:
        `Someone (from ${req.ip ?? 'an unknown address'}) tried to create a Revflow account with ${email}, ` +
        `which already has one. Nothing was changed.\n\nIf it was you, log in instead: ${loginUrl}\n` +
        'If it was not you, you can ignore this message; your password still works.\n',
      messageId: `<signup-${uuidv7()}@revflow>`,
      headers: {},
    })
    .catch((error: unknown) =>
      logger.warn(
        { err: error, event: 'auth.signup_notice_failed' },
        'could not tell an account owner by email',
      ),
    );
}
