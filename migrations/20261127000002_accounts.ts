import type { Knex } from 'knex';

/**
 * Accounts (DESIGN §7): users, browser sessions, workspace memberships with roles, API keys,
 * invitations and the audit log. Passwords, session tokens, API keys and invitation tokens are
 * stored only as hashes (argon2id for passwords, SHA-256 for the random tokens). Ids are uuid v7
 * made by the application, so `ORDER BY id` is creation order (the audit log pages on it).
 */

const ROLES = ['viewer', 'member', 'admin', 'owner'];

function roleCheck(table: string, column = 'role'): string {
  return `ALTER TABLE ${table} ADD CONSTRAINT ${table}_${column}_check CHECK (${column} IN (${ROLES.map((r) => `'${r}'`).join(', ')}))`;
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // Normalised (trimmed, lowercased) by the application; the check keeps it that way.
    t.text('email').notNullable().unique();
    t.text('name').notNullable();
    t.text('password_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('ALTER TABLE users ADD CONSTRAINT users_email_lowercase CHECK (email = lower(email))');

  await knex.schema.createTable('sessions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('token_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('ip');
    t.text('user_agent');
    t.index(['user_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('memberships', (t) => {
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('role').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'user_id']);
    t.index(['user_id']);
  });
  await knex.raw(roleCheck('memberships'));

  await knex.schema.createTable('api_keys', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('role').notNullable();
    // The first characters of the key, shown in lists so people can tell keys apart.
    t.text('prefix').notNullable();
    t.text('token_hash').notNullable().unique();
    t.uuid('created_by_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.uuid('created_by_api_key_id').references('id').inTable('api_keys').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['workspace_id', 'created_at']);
  });
  await knex.raw(roleCheck('api_keys'));

  await knex.schema.createTable('invitations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('email').notNullable();
    t.text('role').notNullable();
    t.text('token_hash').notNullable().unique();
    t.uuid('invited_by_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.uuid('invited_by_api_key_id').references('id').inTable('api_keys').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('sent_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.integer('send_count').notNullable().defaultTo(1);
    t.timestamp('accepted_at', { useTz: true });
    t.uuid('accepted_by_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('revoked_at', { useTz: true });
    t.index(['workspace_id', 'created_at']);
  });
  await knex.raw(roleCheck('invitations'));
  // Open invitations of a workspace: what the seat count and "already invited" read.
  await knex.raw(
    'CREATE INDEX invitations_open_idx ON invitations (workspace_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL',
  );

  await knex.schema.createTable('audit_log', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.uuid('actor_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.uuid('actor_api_key_id').references('id').inTable('api_keys').onDelete('SET NULL');
    t.text('action').notNullable();
    t.text('target_type');
    t.text('target_id');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.text('ip');
    t.text('user_agent');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE INDEX audit_log_workspace_idx ON audit_log (workspace_id, id DESC)');
  await knex.raw('CREATE INDEX audit_log_workspace_action_idx ON audit_log (workspace_id, action, id DESC)');

  // The engine migration left this for the users table.
  await knex.schema.alterTable('workflow_versions', (t) => {
    t.foreign('created_by').references('id').inTable('users').onDelete('SET NULL');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('workflow_versions', (t) => {
    t.dropForeign('created_by');
  });
  await knex.schema.dropTable('audit_log');
  await knex.schema.dropTable('invitations');
  await knex.schema.dropTable('api_keys');
  await knex.schema.dropTable('memberships');
  await knex.schema.dropTable('sessions');
  await knex.schema.dropTable('users');
}
