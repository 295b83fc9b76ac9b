import type { Knex } from 'knex';
import { conflictError, notFoundError } from '../../engine/errors.js';
import { effectivePlan } from '../billing/accounts.js';
import { ownerEmails } from '../billing/expansions.js';
import { billingFor } from '../billing/hub.js';
import { platformEvents } from '../events/platform.js';
import { feedbackSettings, type FeedbackSettings } from './settings.js';

/**
 * The in-app NPS survey (issue 16). Who is asked, in this order (settings.ts has the numbers):
 * the survey is on; the person signed up at least MIN_DAYS_AFTER_SIGNUP days ago; they did not
 * answer within RESURVEY_DAYS; no survey at all was shown to them within WAITING_DAYS (the
 * global waiting period: a dismissal counts as shown); and after MAX_DISMISSALS dismissals in a
 * row they rest for RESURVEY_DAYS. A display is recorded when the modal opens; one answer per
 * display, and the `nps.responded` event is written in the answer's transaction, with a stable
 * id — so a workflow sees each completed answer exactly once, and never a partial one.
 */

export const SURVEY = 'nps';
const DAY_MS = 86_400_000;
/** A display left open this recently is offered again (a reload must not lose the survey). */
const RESUME_MS = DAY_MS;

export type NpsCategory = 'promoter' | 'passive' | 'detractor';
export const categoryOf = (score: number): NpsCategory =>
  score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';

export type Eligibility =
  | { eligible: true; displayId?: string }
  | {
      eligible: false;
      reason: 'disabled' | 'too_new' | 'answered_recently' | 'waiting_period' | 'dismissed';
      until?: string;
    };

interface DisplayRow {
  id: string;
  survey: string;
  user_id: string;
  workspace_id: string;
  outcome: 'shown' | 'responded' | 'dismissed';
  created_at: Date;
}

export class NpsSurvey {
  constructor(
    private readonly knex: Knex,
    private readonly settings: () => FeedbackSettings = () => feedbackSettings(),
  ) {}

  async eligibility(
    userId: string,
    now = new Date(),
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<Eligibility> {
    const rules = this.settings();
    if (!rules.REVFLOW_NPS_ENABLED) return { eligible: false, reason: 'disabled' };
    const user = await db('users')
      .where({ id: userId })
      .first<{ created_at: Date } | undefined>('created_at');
    if (!user) throw notFoundError('The user');
    const ready = user.created_at.getTime() + rules.REVFLOW_NPS_MIN_DAYS_AFTER_SIGNUP * DAY_MS;
    if (ready > now.getTime())
      return { eligible: false, reason: 'too_new', until: new Date(ready).toISOString() };
    const answered = await db('nps_responses')
      .where({ user_id: userId })
      .orderBy('created_at', 'desc')
      .first<{ created_at: Date } | undefined>('created_at');
    if (answered) {
      const again = answered.created_at.getTime() + rules.REVFLOW_NPS_RESURVEY_DAYS * DAY_MS;
      if (again > now.getTime())
        return { eligible: false, reason: 'answered_recently', until: new Date(again).toISOString() };
    }
    const last = await db<DisplayRow>('survey_displays')
      .where({ user_id: userId })
      .orderBy('created_at', 'desc')
      .first();
    if (
      last &&
      last.outcome === 'shown' &&
      last.survey === SURVEY &&
      now.getTime() - last.created_at.getTime() < RESUME_MS
    )
      return { eligible: true, displayId: last.id };
    if (last) {
      const waited = last.created_at.getTime() + rules.REVFLOW_NPS_WAITING_DAYS * DAY_MS;
      if (waited > now.getTime())
        return { eligible: false, reason: 'waiting_period', until: new Date(waited).toISOString() };
    }
    // Dismissals since the last answer, newest first.
    const dismissals = await db<DisplayRow>('survey_displays')
      .where({ user_id: userId, survey: SURVEY, outcome: 'dismissed' })
      .modify((q) => {
        if (answered) void q.where('created_at', '>', answered.created_at);
      })
      .orderBy('created_at', 'desc')
      .select<Array<{ created_at: Date }>>('created_at');
    const newest = dismissals[0];
    if (dismissals.length >= rules.REVFLOW_NPS_MAX_DISMISSALS && newest) {
      const again = newest.created_at.getTime() + rules.REVFLOW_NPS_RESURVEY_DAYS * DAY_MS;
      if (again > now.getTime())
        return { eligible: false, reason: 'dismissed', until: new Date(again).toISOString() };
    }
    return { eligible: true };
  }

  /** The modal opens: record the display (or resume the open one); refused when not eligible. */
  async display(userId: string, workspaceId: string, now = new Date()): Promise<{ displayId: string }> {
    // One person, one decision at a time: two tabs opening at once get the same display.
    return this.knex.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`survey:${userId}`]);
      const eligible = await this.eligibility(userId, now, trx);
      if (!eligible.eligible)
        throw conflictError('The survey is not due for this person', 'not_eligible', {
          reason: eligible.reason,
          ...(eligible.until ? { until: eligible.until } : {}),
        });
      if (eligible.displayId) return { displayId: eligible.displayId };
      const [row] = await trx('survey_displays')
        .insert({ survey: SURVEY, user_id: userId, workspace_id: workspaceId, created_at: now })
        .returning<Array<{ id: string }>>('id');
      return { displayId: (row as { id: string }).id };
    });
  }

  private async ownDisplay(trx: Knex.Transaction, userId: string, displayId: string): Promise<DisplayRow> {
    const row = await trx<DisplayRow>('survey_displays')
      .where({ id: displayId, user_id: userId })
      .forUpdate()
      .first();
    if (!row) throw notFoundError('The survey display');
    return row;
  }

  async dismiss(userId: string, displayId: string): Promise<{ dismissals: number }> {
    await this.knex.transaction(async (trx) => {
      const display = await this.ownDisplay(trx, userId, displayId);
      if (display.outcome === 'responded')
        throw conflictError('This survey was answered already', 'answered');
      await trx('survey_displays')
        .where({ id: displayId })
        .update({ outcome: 'dismissed', closed_at: new Date() });
    });
    const [count] = await this.knex('survey_displays')
      .where({ user_id: userId, survey: SURVEY, outcome: 'dismissed' })
      .count<Array<{ count: string }>>('* as count');
    return { dismissals: Number(count?.count ?? 0) };
  }

  /** A completed answer; the same display answered again returns the first answer, nothing new. */
  async respond(
    userId: string,
    displayId: string,
    answer: { score: number; comment?: string },
  ): Promise<{ id: string; score: number; category: NpsCategory; created: boolean }> {
    const billing = billingFor(this.knex);
    const result = await this.knex.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`survey:${userId}`]);
      const display = await this.ownDisplay(trx, userId, displayId);
      const existing = await trx('nps_responses')
        .where({ display_id: displayId })
        .first<{ id: string; score: number; category: NpsCategory } | undefined>('id', 'score', 'category');
      if (existing) return { ...existing, created: false };
      // A stale display left open elsewhere does not make a second answer within the resurvey period.
      const recent = await trx('nps_responses')
        .where({ user_id: userId })
        .andWhere(
          'created_at',
          '>',
          new Date(Date.now() - this.settings().REVFLOW_NPS_RESURVEY_DAYS * DAY_MS),
        )
        .first<{ id: string } | undefined>('id');
      if (recent) throw conflictError('You answered the survey recently', 'answered_recently');
      const plan = effectivePlan(await billing.accounts.get(display.workspace_id, trx));
      const category = categoryOf(answer.score);
      const comment = answer.comment?.trim() ? answer.comment.trim() : null;
      const [row] = await trx('nps_responses')
        .insert({
          display_id: displayId,
          user_id: userId,
          workspace_id: display.workspace_id,
          plan,
          score: answer.score,
          category,
          comment,
        })
        .returning<Array<{ id: string }>>('id');
      const id = (row as { id: string }).id;
      await trx('survey_displays')
        .where({ id: displayId })
        .update({ outcome: 'responded', closed_at: new Date() });
      const person = await trx('users')
        .where({ id: userId })
        .first<{ email: string; name: string }>('email', 'name');
      const workspace = await trx('workspaces')
        .where({ id: display.workspace_id })
        .first<{ name: string }>('name');
      await platformEvents(this.knex).emit(
        {
          workspaceId: display.workspace_id,
          eventId: `nps.responded:${id}`,
          name: 'nps.responded',
          userId,
          data: {
            responseId: id,
            score: answer.score,
            category,
            comment,
            plan,
            email: person?.email ?? null,
            name: person?.name ?? null,
            workspaceName: workspace?.name ?? null,
            owners: await ownerEmails(this.knex, display.workspace_id),
          },
        },
        trx,
      );
      return { id, score: answer.score, category, created: true };
    });
    if (result.created) billing.outbox.flushSoon();
    return result;
  }
}
