import type { Knex } from 'knex';

/**
 * Emails handed to an SMTP server for good (api/mail/deliveries.ts). A row is written, and
 * committed, right before the end of the message's DATA is sent; after a crash, a re-run of
 * the step finds it and does not send the message again. Keyed by the step's Message-ID.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mail_deliveries', (t) => {
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('message_id').notNullable();
    // 'committing': the end of DATA went out (or was about to); 'sent': the server answered 250.
    t.text('state').notNullable();
    t.jsonb('accepted').notNullable().defaultTo('[]');
    t.jsonb('rejected').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'message_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mail_deliveries');
}
