import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { CheckedTarget } from '../net/ssrf.js';
import type { CredentialSecret, CredentialsService, MailMessage, MailService } from '../../nodes/services.js';

export interface MailerOptions {
  credentials: CredentialsService;
  /** SMTP_URL: the deployment's SMTP server when a node names no credential. */
  smtpUrl?: string;
  /** REVFLOW_UNSUBSCRIBE_URL. */
  unsubscribeUrl?: string;
  /**
   * The SSRF guard for SMTP hosts that come from workspace credentials (SMTP_URL is the
   * deployment's own and trusted). Without it, credential hosts are not checked (tests only).
   */
  guard?: (workspaceId: string, host: string, port: number) => Promise<CheckedTarget>;
}

/** A problem with the node's settings rather than with the server: `field` names the config field. */
export class MailSetupError extends Error {
  constructor(
    message: string,
    readonly code: 'config' | 'credential',
    readonly field: 'credentialId' | 'from',
  ) {
    super(message);
    this.name = 'MailSetupError';
  }
}

/**
 * SMTP through nodemailer. One short-lived transport per send: SMTP settings come from a
 * workspace credential, and a pooled connection would outlive a credential change.
 */
export function createMailer(options: MailerOptions): MailService {
  const transportFor = async (
    workspaceId: string,
    credentialId: string | undefined,
  ): Promise<{ transport: Transporter<SMTPTransport.SentMessageInfo>; from?: string }> => {
    if (credentialId) {
      let secret: CredentialSecret;
      try {
        ({ secret } = await options.credentials.resolve(workspaceId, credentialId));
      } catch (error) {
        throw new MailSetupError((error as Error).message, 'credential', 'credentialId');
      }
      if (secret.type !== 'smtp')
        throw new MailSetupError(
          `The credential ${credentialId} is a ${secret.type} credential, not smtp`,
          'config',
          'credentialId',
        );
      // Connect to the checked address; TLS still verifies the certificate for the host name.
      const pinned = options.guard
        ? (await options.guard(workspaceId, secret.host, secret.port)).address
        : secret.host;
      const transport = nodemailer.createTransport({
        host: pinned,
        ...(pinned !== secret.host ? { tls: { servername: secret.host } } : {}),
        port: secret.port,
        secure: secret.secure,
        ...(secret.username ? { auth: { user: secret.username, pass: secret.password ?? '' } } : {}),
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      });
      return secret.from ? { transport, from: secret.from } : { transport };
    }
    if (!options.smtpUrl)
      throw new MailSetupError(
        'No SMTP credential was chosen and SMTP_URL is not set',
        'config',
        'credentialId',
      );
    return { transport: nodemailer.createTransport(options.smtpUrl) };
  };

  return {
    ...(options.unsubscribeUrl ? { unsubscribeUrl: options.unsubscribeUrl } : {}),
    async send(workspaceId: string, credentialId: string | undefined, message: MailMessage) {
      const { transport, from } = await transportFor(workspaceId, credentialId);
      try {
        const sender = message.from ?? from;
        if (!sender)
          throw new MailSetupError(
            'No sender: set `from` on the node or on the SMTP credential',
            'config',
            'from',
          );
        const info = await transport.sendMail({
          from: sender,
          to: message.to,
          cc: message.cc,
          bcc: message.bcc,
          subject: message.subject,
          ...(message.text !== undefined && { text: message.text }),
          ...(message.html !== undefined && { html: message.html }),
          messageId: message.messageId,
          headers: message.headers,
        });
        const addresses = (list: Array<string | { address: string }>): string[] =>
          list.map((item) => (typeof item === 'string' ? item : item.address));
        return {
          messageId: info.messageId,
          accepted: addresses(info.accepted),
          rejected: addresses(info.rejected),
        };
      } finally {
        transport.close();
      }
    },
  };
}
