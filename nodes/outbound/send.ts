import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import { defineNode } from '../../engine/node.js';
import { messageIdFor } from '../email/send.js';
import { credentialRef, required } from '../services.js';
import { envelopeJson, envelopeOf } from './envelope.js';
import { renderTemplate } from './merge.js';

export const sendNode = defineNode({
  type: 'outbound.send',
  family: 'growth',
  title: 'Send sequence email',
  description:
    'Emails the enrolled lead (the picked variant, its follow-up, or a custom text) with one-click unsubscribe.',
  docs: [
    "Sends through the workspace's SMTP credential (or SMTP_URL), metered like email.send and covered by " +
      'the safety policy. One Message-ID per step and lead: a re-run never sends twice, and a reply is ' +
      "matched to this send by In-Reply-To/References. Follow-ups thread under the lead's previous send.",
    'Every message carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) with a signed link for ' +
      'this lead, and the link in the text. The suppression list and the lead (unsubscribed, bounced, ' +
      'replied) are checked right before sending; a lead that must not be mailed goes out on `stopped`.',
    '`content`: `variant` (the picked subject and body), `followUp` ("Re: " + subject, the variant\'s ' +
      'follow-up or `body`), `custom` (`subject` and `body`). Merge fields: `{{ lead.firstName | there }}`.',
  ].join('\n\n'),
  icon: 'send',
  sideEffects: true,
  outbound: 'email',
  onceByKey: true,
  config: z
    .object({
      credentialId: credentialRef(['smtp'], 'An SMTP credential; default: SMTP_URL').optional(),
      from: z
        .string()
        .max(500)
        .optional()
        .describe("Default: the credential's sender, else REVFLOW_OUTBOUND_FROM"),
      replyTo: z.string().max(320).optional(),
      content: z.enum(['variant', 'followUp', 'custom']).default('variant'),
      subject: z.string().max(998).optional(),
      body: z.string().max(100_000).optional(),
    })
    .refine((config) => config.content !== 'custom' || (config.subject && config.body), {
      message: 'custom content needs subject and body',
      path: ['subject'],
    }),
  outputs: ['out', 'stopped'],
  run: async (ctx, input) => {
    const outbound = required(ctx.services.outbound, 'outbound');
    const mail = required(ctx.services.mail, 'email');
    const envelope = envelopeOf(input);
    const { config } = ctx;
    const prepared = await outbound.prepareSend(ctx.run.workspaceId, envelope);
    if (prepared.blocked)
      return ctx.route('stopped', envelopeJson(envelope, { stop: { ...prepared.blocked } }));
    const variant = envelope.variant;
    if (config.content !== 'custom' && !variant)
      throw new StepFailure(
        'No variant picked: put outbound.pickVariant before this step, or use custom content',
        'config',
        'config.content',
      );
    let subject = config.subject ?? variant?.subject ?? '';
    let body = config.body ?? variant?.body ?? '';
    if (config.content === 'variant' && variant) {
      subject = variant.subject;
      body = variant.body;
    } else if (config.content === 'followUp' && variant) {
      subject = `Re: ${variant.subject}`;
      body = variant.followUp ?? config.body ?? variant.body;
    }
    const lead = prepared.lead;
    subject = renderTemplate(subject, lead)
      .replace(/[\r\n]+/g, ' ')
      .slice(0, 998);
    const text = `${renderTemplate(body, lead)}\n\n--\nNo more emails from us: ${prepared.unsubscribeUrl}\n`;
    const messageId = messageIdFor(ctx.idempotencyKey);
    const headers: Record<string, string> = {
      'List-Unsubscribe': `<${prepared.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    };
    if (config.replyTo) headers['Reply-To'] = config.replyTo;
    if (prepared.threadWith) {
      headers['In-Reply-To'] = prepared.threadWith;
      headers.References = prepared.threadWith;
    }
    // A credential's own sender wins over the deployment default.
    const from = config.from ?? (config.credentialId ? undefined : outbound.defaultFrom);
    try {
      await mail.send(ctx.run.workspaceId, config.credentialId, {
        ...(from !== undefined && { from }),
        to: [lead.email],
        cc: [],
        bcc: [],
        subject,
        text,
        messageId,
        headers,
      });
    } catch (error) {
      const err = error as Error & { code?: unknown; field?: unknown; responseCode?: number };
      if (err.code === 'quota_exceeded') throw error;
      if ((err.code === 'config' || err.code === 'credential') && typeof err.field === 'string')
        throw new StepFailure(err.message, err.code, `config.${err.field}`);
      const detail = err.responseCode ? ` (SMTP ${err.responseCode})` : '';
      throw new StepFailure(`Sending the email failed${detail}: ${err.message}`, 'smtp');
    }
    const recorded = await outbound.recordSend(ctx.run.workspaceId, {
      envelope,
      step: ctx.node.id,
      messageId,
      subject,
      ...(variant &&
        config.content !== 'custom' && { variant: { picker: variant.picker, key: variant.key } }),
    });
    ctx.log.info('Sequence email sent', { messageId, step: ctx.node.id });
    return envelopeJson(
      { ...envelope, lead, lastMessageId: messageId },
      { sendId: recorded.sendId, messageId },
    );
  },
});
