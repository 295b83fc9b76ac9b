import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import SMTPConnection, { type SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection/index.js';
import type { CheckedTarget } from '../net/ssrf.js';
import { credentialHostProblem } from '../../nodes/http/auth.js';
import type {
  CredentialSecret,
  CredentialsService,
  MailMessage,
  MailService,
  ResolvedCredential,
} from '../../nodes/services.js';
import type { DeliveryRecord, MailDeliveryLog } from './deliveries.js';
import { countMailDelivery } from '../observability/metrics.js';

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
  /**
   * Which messages already reached an SMTP server, by Message-ID: with it, a step re-run after
   * a crash does not send its email a second time (see `deliver`). Without it (tests of the
   * mailer alone), a re-run sends again with the same Message-ID.
   */
  deliveries?: MailDeliveryLog;
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

interface SmtpTarget {
  options: SMTPConnectionOptions;
  auth?: { user: string; pass: string };
  from?: string;
}

const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** The SMTP transaction's outcome: the server's recipients, or `taken` when another send of it got there first. */
type Outcome = { sent: DeliveryRecord } | { taken: true };

const addresses = (list: ReadonlyArray<string | { address: string }>): string[] =>
  list.map((item) => (typeof item === 'string' ? item : item.address));

/**
 * One SMTP transaction on its own connection: envelope, then the message, then — only once
 * `beforeEnd` resolved true — the end of DATA (`CRLF.CRLF`), the moment the server takes the
 * message. Holding that last line back until the delivery mark is committed is what makes a
 * re-run after a crash safe: a message without a mark never reached its end, and the server
 * discards it when the connection drops. `beforeEnd` false: end the connection, not the DATA.
 */
function deliver(
  target: SmtpTarget,
  envelope: { from: string; to: string[] },
  raw: Buffer,
  beforeEnd: () => Promise<boolean>,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    const connection = new SMTPConnection(target.options);
    let settled = false;
    let taken = false;
    const finish = (error: Error | null, outcome?: Outcome): void => {
      if (settled) return;
      settled = true;
      if (error || !outcome) {
        connection.close();
        reject(error ?? new Error('The SMTP transaction ended without an answer'));
      } else {
        // A DATA left open (another send had the message) is dropped with the connection, never ended.
        if ('taken' in outcome) connection.close();
        else connection.quit();
        resolve(outcome);
      }
    };
    // `on`, not `once`: an error after the outcome (say, while quitting) must not go unhandled.
    connection.on('error', (error: Error) => finish(error));
    connection.once('end', () => finish(new Error('The SMTP server closed the connection')));
    const send = (): void => {
      let stage: 'body' | 'end' | 'done' = 'body';
      // Read only once the server said 354: SMTPConnection pipes the message after DATA.
      const message = new Readable({
        read() {
          if (stage === 'body') {
            stage = 'end';
            this.push(raw);
          } else if (stage === 'end') {
            stage = 'done';
            beforeEnd().then(
              (go) => {
                if (go) this.push(null);
                else {
                  taken = true;
                  this.destroy(new Error('This message was already handed to an SMTP server'));
                }
              },
              (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
            );
          }
        },
      });
      connection.send(envelope, message, (error, info) => {
        if (taken) finish(null, { taken: true });
        else if (error) finish(error);
        else
          finish(null, { sent: { accepted: addresses(info.accepted), rejected: addresses(info.rejected) } });
      });
    };
    connection.connect((error) => {
      if (error) return finish(error);
      if (target.auth)
        connection.login(target.auth, (loginError) => (loginError ? finish(loginError) : send()));
      else send();
    });
  });
}

/**
 * SMTP with nodemailer's connection and composer. One short-lived connection per send: SMTP
 * settings come from a workspace credential, and a pooled connection would outlive a
 * credential change.
 *
 * Exactly once at the server, across crashes (issue 7): with `deliveries`, a message whose
 * Message-ID is marked is not sent again; the mark is committed right before the end of DATA.
 * A crash before the mark: the server never took the message, the re-run sends it. A crash
 * after it: the re-run does not send. The one moment left in doubt is between the mark's
 * commit and the final line reaching the server (microseconds, in one callback); then the
 * message counts as sent. A server that refuses after DATA (4xx/5xx) removes the mark, so a
 * retry sends; a connection lost after the final line keeps it (the server may have the message).
 */
export function createMailer(options: MailerOptions): MailService {
  const targetFor = async (workspaceId: string, credentialId: string | undefined): Promise<SmtpTarget> => {
    if (credentialId) {
      let resolved: ResolvedCredential;
      try {
        resolved = await options.credentials.resolve(workspaceId, credentialId);
      } catch (error) {
        throw new MailSetupError((error as Error).message, 'credential', 'credentialId');
      }
      const secret: CredentialSecret = resolved.secret;
      if (secret.type !== 'smtp')
        throw new MailSetupError(
          `The credential ${credentialId} is a ${secret.type} credential, not smtp`,
          'config',
          'credentialId',
        );
      // A credential bound to hosts (issue 11) is sent to no SMTP server outside them.
      const unbound = credentialHostProblem(resolved, secret.host, secret.port);
      if (unbound) throw new MailSetupError(unbound, 'credential', 'credentialId');
      // Connect to the checked address; TLS still verifies the certificate for the host name.
      const pinned = options.guard
        ? (await options.guard(workspaceId, secret.host, secret.port)).address
        : secret.host;
      return {
        options: {
          host: pinned,
          ...(pinned !== secret.host ? { servername: secret.host, tls: { servername: secret.host } } : {}),
          port: secret.port,
          secure: secret.secure,
          ...TIMEOUTS,
        },
        ...(secret.username ? { auth: { user: secret.username, pass: secret.password ?? '' } } : {}),
        ...(secret.from ? { from: secret.from } : {}),
      };
    }
    if (!options.smtpUrl)
      throw new MailSetupError(
        'No SMTP credential was chosen and SMTP_URL is not set',
        'config',
        'credentialId',
      );
    const url = parseConnectionUrl(options.smtpUrl);
    return {
      options: {
        ...(url.host !== undefined ? { host: url.host } : {}),
        ...(url.port !== undefined ? { port: url.port } : {}),
        ...(url.secure !== undefined ? { secure: url.secure } : {}),
        ...(url.tls ? { tls: url.tls } : {}),
        ...TIMEOUTS,
      },
      ...(url.auth ? { auth: url.auth } : {}),
    };
  };

  return {
    ...(options.unsubscribeUrl ? { unsubscribeUrl: options.unsubscribeUrl } : {}),
    async send(workspaceId: string, credentialId: string | undefined, message: MailMessage) {
      const log = options.deliveries;
      const done = await log?.find(workspaceId, message.messageId);
      if (done) {
        countMailDelivery('duplicate');
        return { messageId: message.messageId, ...done };
      }
      const target = await targetFor(workspaceId, credentialId);
      const sender = message.from ?? target.from;
      if (!sender)
        throw new MailSetupError(
          'No sender: set `from` on the node or on the SMTP credential',
          'config',
          'from',
        );
      const mime = new MailComposer({
        from: sender,
        to: message.to,
        cc: message.cc,
        bcc: message.bcc,
        subject: message.subject,
        ...(message.text !== undefined && { text: message.text }),
        ...(message.html !== undefined && { html: message.html }),
        messageId: message.messageId,
        headers: message.headers,
      }).compile();
      const { from, to } = mime.getEnvelope();
      const envelope = { from: from || sender, to };
      const raw = await mime.build();
      let ended = false;
      const mark = { accepted: to, rejected: [] };
      let outcome: Outcome;
      try {
        outcome = await deliver(target, envelope, raw, async () => {
          const fresh = log ? await log.begin(workspaceId, message.messageId, mark) : true;
          ended = fresh;
          return fresh;
        });
      } catch (error) {
        // Refused after the end of DATA: the server does not have it, a retry may send it.
        const refused = typeof (error as { responseCode?: unknown }).responseCode === 'number';
        countMailDelivery(refused ? 'refused' : 'failed');
        if (log && ended && refused) await log.forget(workspaceId, message.messageId);
        throw error;
      }
      if ('taken' in outcome) {
        countMailDelivery('duplicate');
        return {
          messageId: message.messageId,
          ...((await log?.find(workspaceId, message.messageId)) ?? mark),
        };
      }
      countMailDelivery('sent');
      await log?.confirm(workspaceId, message.messageId, outcome.sent);
      return { messageId: message.messageId, ...outcome.sent };
    },
  };
}
