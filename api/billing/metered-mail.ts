import type { MailService } from '../../nodes/services.js';
import type { UsageMeter } from './usage.js';

/**
 * Every email sent is metered (issue 6). The send is reserved against the plan's quota first
 * — exactly: concurrent sends queue on the workspace's meter — and over a hard limit it fails
 * with a message naming the limit and the plan. The usage key is the Message-ID, stable per
 * step, so a re-send after a crash is not counted twice; a send that fails is not counted.
 */
export function meteredMailer(mail: MailService, usage: UsageMeter): MailService {
  return {
    ...(mail.unsubscribeUrl !== undefined ? { unsubscribeUrl: mail.unsubscribeUrl } : {}),
    async send(workspaceId, credentialId, message) {
      const idempotencyKey = `email:${message.messageId}`;
      const { counted } = await usage.reserve(workspaceId, {
        meter: 'emails',
        quantity: 1,
        idempotencyKey,
        source: 'email',
      });
      try {
        return await mail.send(workspaceId, credentialId, message);
      } catch (error) {
        if (counted) await usage.release(workspaceId, idempotencyKey);
        throw error;
      }
    },
  };
}
