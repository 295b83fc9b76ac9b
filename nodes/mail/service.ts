/** Email as nodes reach it: SMTP with a credential or the deployment's SMTP_URL (`api/mail`). */

export interface MailMessage {
  from?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text?: string;
  html?: string;
  /** `<...@...>`: stable per step, so a re-send after a crash can be deduplicated. */
  messageId: string;
  headers: Record<string, string>;
}

export interface MailService {
  /** Send with the SMTP credential, or the deployment's SMTP_URL when none is given. */
  send(
    workspaceId: string,
    credentialId: string | undefined,
    message: MailMessage,
  ): Promise<{ messageId: string; accepted: string[]; rejected: string[] }>;
  /** Default List-Unsubscribe URL for commercial email (REVFLOW_UNSUBSCRIBE_URL). */
  readonly unsubscribeUrl?: string;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    mail?: MailService;
  }
}
