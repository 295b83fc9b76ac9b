import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import { defineNode } from '../../engine/node.js';
import { credentialRef, required } from '../services.js';

const addresses = z
  .union([z.string(), z.array(z.string())])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(',')).map((item) => item.trim()).filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .max(320)
        .regex(/^[^\s@<>]+@[^\s@<>]+$|<[^\s@<>]+@[^\s@<>]+>$/, 'not an email address'),
    ),
  );

/** `runId:nodeId` → `<runId.nodeId@revflow>`: one Message-ID per step, the same on every re-send. */
export function messageIdFor(idempotencyKey: string): string {
  return `<${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '.')}@revflow>`;
}

export const emailSendNode = defineNode({
  type: 'email.send',
  family: 'action',
  title: 'Send email',
  description: 'Sends an email over SMTP (text and/or HTML).',
  docs:
    "SMTP settings come from an SMTP credential, or from the deployment's SMTP_URL. The Message-ID is " +
    'derived from the run and node, and Revflow records a message as sent just before the server takes it: ' +
    'a step re-run after a crash does not send it again. Mark commercial email as such: it then carries List-Unsubscribe and ' +
    'one-click unsubscribe headers (RFC 8058) pointing at `unsubscribeUrl` or the deployment default.',
  icon: 'mail',
  sideEffects: true,
  outbound: 'email',
  // Marked sent before the end of DATA (api/mail/deliveries.ts): a re-run never sends twice.
  onceByKey: true,
  config: z
    .object({
      credentialId: credentialRef(['smtp'], 'An SMTP credential; default: SMTP_URL').optional(),
      from: z.string().max(500).optional().describe("Default: the credential's sender"),
      to: addresses,
      cc: addresses.default([]),
      bcc: addresses.default([]),
      replyTo: z.string().max(320).optional(),
      subject: z.string().min(1).max(998),
      text: z.string().max(1_000_000).optional(),
      html: z.string().max(2_000_000).optional(),
      commercial: z.boolean().default(false).describe('Marketing email: adds List-Unsubscribe headers'),
      unsubscribeUrl: z
        .string()
        .max(2000)
        .refine((value) => /^https:\/\//i.test(value) && URL.canParse(value), 'an https:// URL')
        .optional(),
    })
    .refine((config) => config.text !== undefined || config.html !== undefined, {
      message: 'set text or html',
      path: ['text'],
    })
    .refine((config) => config.to.length > 0, { message: 'at least one recipient', path: ['to'] }),
  run: async (ctx, input) => {
    const config = ctx.config;
    const mail = required(ctx.services.mail, 'email');
    const headers: Record<string, string> = {};
    if (config.replyTo) headers['Reply-To'] = config.replyTo;
    if (config.commercial) {
      const unsubscribe = config.unsubscribeUrl ?? mail.unsubscribeUrl;
      if (!unsubscribe) {
        throw new StepFailure(
          'Commercial email needs an unsubscribe URL (unsubscribeUrl or REVFLOW_UNSUBSCRIBE_URL)',
          'config',
          'config.unsubscribeUrl',
        );
      }
      headers['List-Unsubscribe'] = `<${unsubscribe}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    const messageId = messageIdFor(ctx.idempotencyKey);
    let result: { messageId: string; accepted: string[]; rejected: string[] };
    try {
      result = await mail.send(ctx.run.workspaceId, config.credentialId, {
        ...(config.from !== undefined && { from: config.from }),
        to: config.to,
        cc: config.cc,
        bcc: config.bcc,
        subject: config.subject,
        ...(config.text !== undefined && { text: config.text }),
        ...(config.html !== undefined && { html: config.html }),
        messageId,
        headers,
      });
    } catch (error) {
      const err = error as Error & { code?: unknown; field?: unknown; responseCode?: number };
      // Setup problems (no sender, wrong or unknown credential) name the config field.
      if ((err.code === 'config' || err.code === 'credential') && typeof err.field === 'string') {
        throw new StepFailure(err.message, err.code, `config.${err.field}`);
      }
      if (err.code === 'ssrf_blocked')
        throw new StepFailure(err.message, 'ssrf_blocked', 'config.credentialId');
      const detail = err.responseCode ? ` (SMTP ${err.responseCode})` : '';
      throw new StepFailure(
        `Sending the email failed${detail}: ${err.message}`,
        err.responseCode && err.responseCode >= 500 ? 'smtp_rejected' : 'smtp',
      );
    }
    ctx.log.info(`Email sent to ${result.accepted.length} recipient(s)`, { messageId: result.messageId });
    return { messageId: result.messageId, accepted: result.accepted, rejected: result.rejected, input };
  },
});
