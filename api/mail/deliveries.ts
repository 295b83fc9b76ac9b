import type { Knex } from 'knex';

/** What the SMTP server took of a message: recipients accepted and refused at RCPT. */
export interface DeliveryRecord {
  accepted: string[];
  rejected: string[];
}

/**
 * Which messages were handed to an SMTP server for good, by Message-ID (stable per step, DESIGN
 * §5), so a step re-run after a crash does not send its email again. See `createMailer`: the
 * mark is committed before the end of DATA is sent, so a message without a mark never reached
 * a server, and a message with one did, or was a moment from it when its sender died.
 */
export interface MailDeliveryLog {
  find(workspaceId: string, messageId: string): Promise<DeliveryRecord | undefined>;
  /**
   * Mark the message as being committed, durably. False when it was already marked: another
   * send of the same message got there first, and this one must not end its DATA.
   */
  begin(workspaceId: string, messageId: string, record: DeliveryRecord): Promise<boolean>;
  /** The server answered 250: record its final word on the recipients. */
  confirm(workspaceId: string, messageId: string, record: DeliveryRecord): Promise<void>;
  /** The server refused the message after all (4xx/5xx after DATA): a retry may send it. */
  forget(workspaceId: string, messageId: string): Promise<void>;
}

interface DeliveryRow {
  accepted: string[];
  rejected: string[];
}

export class PgMailDeliveryLog implements MailDeliveryLog {
  constructor(private readonly knex: Knex) {}

  async find(workspaceId: string, messageId: string): Promise<DeliveryRecord | undefined> {
    const row = await this.knex('mail_deliveries')
      .where({ workspace_id: workspaceId, message_id: messageId })
      .first<DeliveryRow | undefined>('accepted', 'rejected');
    return row && { accepted: row.accepted, rejected: row.rejected };
  }

  async begin(workspaceId: string, messageId: string, record: DeliveryRecord): Promise<boolean> {
    const inserted = await this.knex('mail_deliveries')
      .insert({
        workspace_id: workspaceId,
        message_id: messageId,
        state: 'committing',
        accepted: JSON.stringify(record.accepted),
        rejected: JSON.stringify(record.rejected),
      })
      .onConflict(['workspace_id', 'message_id'])
      .ignore()
      .returning('message_id');
    return inserted.length === 1;
  }

  async confirm(workspaceId: string, messageId: string, record: DeliveryRecord): Promise<void> {
    await this.knex('mail_deliveries')
      .where({ workspace_id: workspaceId, message_id: messageId })
      .update({
        state: 'sent',
        accepted: JSON.stringify(record.accepted),
        rejected: JSON.stringify(record.rejected),
      });
  }

  async forget(workspaceId: string, messageId: string): Promise<void> {
    await this.knex('mail_deliveries').where({ workspace_id: workspaceId, message_id: messageId }).delete();
  }
}
