import type { Logger } from 'pino';
import type { HttpSettings } from '../http/settings.js';
import { createMailer } from '../mail/mailer.js';

/** What became of an invitation's email, as the create and resend answers say it. */
export type InvitationDelivery =
  | { status: 'sent' }
  | { status: 'not_configured'; detail: string }
  | { status: 'failed'; detail: string };

const NOT_CONFIGURED =
  'Mail is not configured on this server (SMTP_URL is not set): no email was sent; share the link yourself';

/**
 * Sends an invitation's email with its accept link through SMTP_URL (the account mail of
 * api/http/settings.ts). Awaited by the route, so "sent" means the SMTP server took it; a
 * failure never undoes the invitation — the answer says so and the link still works.
 */
export async function sendInvitationEmail(
  settings: HttpSettings,
  logger: Pick<Logger, 'warn'>,
  invitation: {
    id: string;
    email: string;
    role: string;
    workspaceName: string;
    inviter: string | null;
    acceptUrl: string;
    expiresAt: Date;
    sendCount: number;
  },
): Promise<InvitationDelivery> {
  const mail = settings.accountMail;
  if (!mail) return { status: 'not_configured', detail: NOT_CONFIGURED };
  const mailer = createMailer({
    credentials: { resolve: () => Promise.reject(new Error('invitation mail uses SMTP_URL only')) },
    smtpUrl: mail.smtpUrl,
  });
  const who = invitation.inviter ?? 'Someone';
  const expires = invitation.expiresAt.toUTCString();
  try {
    await mailer.send('', undefined, {
      from: mail.from,
      to: [invitation.email],
      cc: [],
      bcc: [],
      subject: `${who} invited you to ${invitation.workspaceName} on Revflow`,
      text:
        `${who} invited you to join the workspace "${invitation.workspaceName}" on Revflow as ${invitation.role}.\n\n` +
        `Accept the invitation: ${invitation.acceptUrl}\n\n` +
        `The link works once and expires on ${expires}. If you did not expect it, ignore this email.\n`,
      html:
        `<p>${escapeHtml(who)} invited you to join the workspace <strong>${escapeHtml(invitation.workspaceName)}</strong> ` +
        `on Revflow as ${escapeHtml(invitation.role)}.</p>` +
        `<p><a href="${escapeHtml(invitation.acceptUrl)}">Accept the invitation</a></p>` +
        `<p>The link works once and expires on ${escapeHtml(expires)}. If you did not expect it, ignore this email.</p>`,
      messageId: `<invitation-${invitation.id}-${invitation.sendCount}@revflow>`,
      headers: {},
    });
    return { status: 'sent' };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    logger.warn({ err: error, event: 'invitation.mail_failed', invitationId: invitation.id }, 'invitation email failed');
    return { status: 'failed', detail: `The email could not be sent (${detail.slice(0, 200)}); share the link yourself` };
  }
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
