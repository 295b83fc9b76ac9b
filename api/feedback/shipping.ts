import type { Knex } from 'knex';
import { PgMailDeliveryLog } from '../mail/deliveries.js';
import { createMailer } from '../mail/mailer.js';

type MailService = ReturnType<typeof createMailer>;
type CredentialsService = Parameters<typeof createMailer>[0]['credentials'];
import { feedbackSettings } from './settings.js';

/**
 * "Your idea shipped": when a post reaches a status of kind `shipped`, every voter gets one
 * in-app notification and one email. Once per post and person: the notifications table is
 * unique on (post, user, kind), rows are inserted with ON CONFLICT DO NOTHING, and only the
 * rows this call inserted are new — so a status flipping back and forth, or two admins
 * shipping at once, tells nobody twice. Emails follow the notification rows (emailed_at null
 * until the SMTP server took them) with a Message-ID per notification and the deployment's mail
 * delivery log, so a retry after a crash or a concurrent sweep does not send twice either.
 * A post shipped with a release note that is not published yet waits for the note.
 */

interface PostForShipping {
  id: string;
  title: string;
  release_note_id: string | null;
  status_kind: string;
  note_status: string | null;
  note_title: string | null;
  note_version: string | null;
}

async function postForShipping(
  db: Knex | Knex.Transaction,
  postId: string,
): Promise<PostForShipping | undefined> {
  return db('feedback_posts as p')
    .join('feedback_statuses as s', 's.id', 'p.status_id')
    .leftJoin('release_notes as n', 'n.id', 'p.release_note_id')
    .where('p.id', postId)
    .first<PostForShipping | undefined>(
      'p.id',
      'p.title',
      'p.release_note_id',
      's.kind as status_kind',
      'n.status as note_status',
      'n.title as note_title',
      'n.version as note_version',
    );
}

/** Create the notifications of a shipped post; returns how many people were newly told. */
export async function notifyVoters(db: Knex | Knex.Transaction, postId: string): Promise<number> {
  const post = await postForShipping(db, postId);
  if (!post || post.status_kind !== 'shipped') return 0;
  // Linked to a note not out yet: the note's publication tells them (shipWithRelease).
  if (post.release_note_id && post.note_status !== 'published') return 0;
  const release = post.note_title
    ? ` in "${post.note_title}"${post.note_version ? ` (${post.note_version})` : ''}`
    : '';
  const inserted = await db
    .into(
      db.raw('?? (user_id, workspace_id, post_id, kind, title, body, release_note_id)', [
        'feedback_notifications',
      ]),
    )
    .insert(
      db('feedback_votes')
        .where({ post_id: postId })
        .select(
          'user_id',
          'workspace_id',
          db.raw('?::uuid', [postId]),
          db.raw("'shipped'"),
          db.raw('?', [`Shipped: ${post.title}`]),
          db.raw('?', [`An idea you voted for has shipped${release}. Thank you for the feedback!`]),
          db.raw('?::uuid', [post.release_note_id]),
        ),
    )
    .onConflict(['post_id', 'user_id', 'kind'])
    .ignore()
    .returning('id');
  return (inserted as unknown[]).length;
}

/** A release note was published: tell the voters of the posts shipped with it. */
export async function shipWithRelease(knex: Knex, noteId: string): Promise<number> {
  const posts = await knex('feedback_posts')
    .where({ release_note_id: noteId })
    .select<Array<{ id: string }>>('id');
  let told = 0;
  for (const post of posts) told += await notifyVoters(knex, post.id);
  if (told > 0) deliverSoon(knex);
  return told;
}

const noCredentials: CredentialsService = {
  resolve: async () => {
    throw new Error('Feedback emails go through SMTP_URL only');
  },
};

/** The deployment mailer (SMTP_URL), read when used so the environment decides. */
function deploymentMailer(knex: Knex): MailService | undefined {
  const smtpUrl = process.env.SMTP_URL;
  if (!smtpUrl) return undefined;
  return createMailer({ credentials: noCredentials, smtpUrl, deliveries: new PgMailDeliveryLog(knex) });
}

interface PendingRow {
  id: string;
  workspace_id: string;
  title: string;
  body: string;
  release_note_id: string | null;
  email: string;
  name: string;
}

const inFlight = new WeakMap<Knex, Promise<number>>();
const MAX_ATTEMPTS = 5;

/** Send the emails of notifications not emailed yet; one run at a time per process. */
export function deliverPending(
  knex: Knex,
  publicUrl = process.env.REVFLOW_PUBLIC_URL ?? 'http://localhost:3000',
): Promise<number> {
  const running = inFlight.get(knex);
  if (running) return running.then(() => deliverPending(knex, publicUrl));
  const run = sendPending(knex, publicUrl).finally(() => inFlight.delete(knex));
  inFlight.set(knex, run);
  return run;
}

/** Deliver in the background (the sweeper retries what fails). */
export function deliverSoon(knex: Knex): void {
  deliverPending(knex).catch(() => undefined);
}

async function sendPending(knex: Knex, publicUrl: string): Promise<number> {
  const mailer = deploymentMailer(knex);
  if (!mailer) return 0;
  const { REVFLOW_FEEDBACK_FROM: from } = feedbackSettings();
  const rows = await knex('feedback_notifications as f')
    .join('users as u', 'u.id', 'f.user_id')
    .whereNull('f.emailed_at')
    .andWhere('f.email_attempts', '<', MAX_ATTEMPTS)
    .orderBy('f.created_at')
    .limit(200)
    .select<PendingRow[]>(
      'f.id',
      'f.workspace_id',
      'f.title',
      'f.body',
      'f.release_note_id',
      'u.email',
      'u.name',
    );
  let sent = 0;
  const base = publicUrl.replace(/\/+$/, '');
  for (const row of rows) {
    const link = row.release_note_id
      ? `${base}/w/${row.workspace_id}/releases/${row.release_note_id}`
      : `${base}/w/${row.workspace_id}/feedback`;
    try {
      await mailer.send(row.workspace_id, undefined, {
        from,
        to: [row.email],
        subject: row.title.replace(/[\r\n]+/g, ' '),
        text: `Hi ${row.name},\n\n${row.body}\n\n${link}\n\n— The Revflow team`,
        cc: [],
        bcc: [],
        headers: {},
        messageId: `<feedback-shipped.${row.id}@revflow>`,
      });
      await knex('feedback_notifications')
        .where({ id: row.id })
        .update({ emailed_at: new Date(), email_error: null });
      sent += 1;
    } catch (error) {
      await knex('feedback_notifications')
        .where({ id: row.id })
        .update({
          email_attempts: knex.raw('email_attempts + 1'),
          email_error: (error as Error).message.slice(0, 500),
        });
    }
  }
  return sent;
}
