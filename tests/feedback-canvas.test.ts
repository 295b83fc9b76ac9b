import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Account, type ApiClient, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

/**
 * The growth loop in a real browser against the real server (built canvas): a note published
 * by an admin shows up as a badge and is read; the NPS survey is answered once and not asked
 * again; an idea given through the widget is voted, shipped, and its voter is told.
 */
const DAY_MS = 86_400_000;
const ADMIN_EMAIL = `canvas-admin-${Date.now()}@revflow.example`;
const received: Array<{ to: string[]; raw: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData: (stream, session, callback) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      received.push({
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      callback();
    });
  },
});
const saved = { ...process.env };
let server: TestApi;
let browser: Browser;

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  process.env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  process.env.REVFLOW_ADMIN_EMAILS = ADMIN_EMAIL;
  process.env.REVFLOW_RELEASES_SWEEP_MS = '200';
  [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  process.env = saved;
});

/** Sign up over the API (optionally `days` ago), then open a browser context with that session. */
async function personInBrowser(
  options: { email?: string; days?: number } = {},
): Promise<{ client: ApiClient; account: Account; context: BrowserContext; page: Page; errors: string[] }> {
  const client = server.client();
  const account = await client.signup(options.email ? { email: options.email } : {});
  await server.db
    .knex('users')
    .where({ id: account.userId })
    .update({ created_at: new Date(Date.now() - (options.days ?? 0) * DAY_MS) });
  const { context, page, errors } = await newPerson(browser, server.baseUrl);
  await context.addCookies([
    { name: 'revflow_session', value: client.sessionCookie ?? '', url: server.baseUrl },
  ]);
  return { client, account, context, page, errors };
}

async function atWidths(page: Page, name: string): Promise<void> {
  await screenshot(page, `${name}-1440`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1440, height: 900 });
}

describe('release center, NPS and feedback (browser)', () => {
  it('an admin publishes a note in the editor; a user sees the badge, reads the note, and hostile markup stays inert', async () => {
    const admin = await personInBrowser({ email: ADMIN_EMAIL });
    const user = await personInBrowser();
    await user.page.goto(`/w/${user.account.workspaceId}/workflows`);
    await user.page.getByTestId('nav-releases').waitFor();
    expect(await user.page.getByTestId('releases-unread').count()).toBe(0);

    await admin.page.goto(`/w/${admin.account.workspaceId}/releases/manage`);
    await admin.page.getByTestId('release-new').click();
    await admin.page.getByTestId('release-title').fill('Run log in dark mode');
    await admin.page.getByTestId('release-category').selectOption('new');
    await admin.page
      .getByTestId('release-body')
      .fill(
        'The run log follows **dark mode**.\n\n<img src=x onerror="window.__xss=1"> [x](javascript:window.__xss=2)',
      );
    await expect
      .poll(() => admin.page.getByTestId('release-preview').innerHTML())
      .toContain('<strong>dark mode</strong>');
    await admin.page.getByTestId('release-editor').locator('input[type="checkbox"]').first().check();
    await atWidths(admin.page, 'releases-editor');
    await admin.page.getByTestId('release-publish-now').click();
    await admin.page
      .getByTestId('releases-admin-row')
      .filter({ hasText: 'Run log in dark mode' })
      .getByText('published')
      .waitFor();
    await atWidths(admin.page, 'releases-manage');

    // The badge follows within its refresh (the tab coming back refreshes it at once).
    await user.page.reload();
    await expect
      .poll(() => user.page.getByTestId('releases-unread').textContent(), { timeout: 10_000 })
      .toBe('1');
    // Featured: the "What's new" panel shows it on other pages.
    await user.page.getByTestId('whats-new').filter({ hasText: 'Run log in dark mode' }).waitFor();
    await atWidths(user.page, 'releases-whats-new');
    await user.page.getByTestId('nav-releases').click();
    const note = user.page.getByTestId('release-note').filter({ hasText: 'Run log in dark mode' });
    await note.waitFor();
    expect(await note.getAttribute('data-read')).toBe('false');
    await atWidths(user.page, 'releases-changelog');
    await note.getByTestId('release-mark-read').click();
    await expect.poll(() => user.page.getByTestId('releases-unread').count()).toBe(0);
    expect(await note.getAttribute('data-read')).toBe('true');
    expect(await user.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await note.locator('img, script, [onerror]').count()).toBe(0);
    expect(user.errors.filter((e) => !e.includes('favicon'))).toEqual([]);
    await admin.context.close();
    await user.context.close();
  }, 60_000);

  it('asks an eligible user the NPS question once: answered, it is not asked again', async () => {
    const fresh = await personInBrowser({ days: 0 });
    await fresh.page.goto(`/w/${fresh.account.workspaceId}/workflows`);
    await fresh.page.waitForTimeout(2500);
    expect(await fresh.page.getByTestId('nps-modal').count()).toBe(0);
    await fresh.context.close();

    const user = await personInBrowser({ days: 30 });
    await user.page.goto(`/w/${user.account.workspaceId}/workflows`);
    const modal = user.page.getByTestId('nps-modal');
    await modal.waitFor();
    await user.page.getByTestId('nps-score-3').click();
    await user.page.getByTestId('nps-comment').fill('<b>Too</b> many clicks');
    await atWidths(user.page, 'nps-modal');
    await user.page.getByTestId('nps-submit').click();
    await modal.waitFor({ state: 'detached' });
    const answers = await server.db.knex('nps_responses').where({ user_id: user.account.userId });
    expect(answers).toEqual([
      expect.objectContaining({ score: 3, category: 'detractor', comment: '<b>Too</b> many clicks' }),
    ]);

    await user.page.reload();
    await user.page.getByTestId('nav-releases').waitFor();
    await user.page.waitForTimeout(2500);
    expect(await user.page.getByTestId('nps-modal').count()).toBe(0);
    await user.context.close();

    // The instance admin's results page, in dark mode.
    const admin = await personInBrowser({ email: ADMIN_EMAIL.replace('@', '+nps@') });
    process.env.REVFLOW_ADMIN_EMAILS = `${ADMIN_EMAIL},${admin.account.email}`;
    await admin.page.goto(`/w/${admin.account.workspaceId}/feedback/nps`);
    await admin.page.getByTestId('theme-toggle').click();
    await admin.page.getByTestId('nps-results').waitFor();
    expect(await admin.page.getByTestId('nps-score').textContent()).toBe('-100');
    expect(await admin.page.getByTestId('nps-comments').textContent()).toContain('<b>Too</b> many clicks');
    await atWidths(admin.page, 'nps-results-dark');
    await admin.context.close();
    process.env.REVFLOW_ADMIN_EMAILS = ADMIN_EMAIL;
  }, 60_000);

  it('an idea from the widget is voted, shipped with a release, and its voter is told in-app and by email', async () => {
    const author = await personInBrowser();
    const voter = await personInBrowser();
    const adminClient = server.client();
    await adminClient.login(ADMIN_EMAIL, 'correct Horse battery 9');

    await author.page.goto(`/w/${author.account.workspaceId}/runs`);
    await author.page.getByTestId('feedback-open').click();
    await author.page.getByTestId('feedback-kind-idea').click();
    await author.page.getByTestId('feedback-text').fill('Export runs as CSV <script>window.__xss=3</script>');
    await atWidths(author.page, 'feedback-widget');
    await author.page.getByTestId('feedback-send').click();
    await author.page.getByTestId('toast-success').waitFor();
    const post = await server.db
      .knex('feedback_posts')
      .where({ author_user_id: author.account.userId })
      .first();
    expect(post).toMatchObject({ kind: 'idea', page: `/w/${author.account.workspaceId}/runs` });

    await voter.page.goto(`/w/${voter.account.workspaceId}/feedback`);
    const card = voter.page.locator(`[data-post-id="${post.id}"]`);
    await card.waitFor();
    await card.getByTestId('feedback-vote').click();
    await expect.poll(() => card.getByTestId('feedback-votes').textContent()).toBe('2');
    // Twice-clicked is a toggle, never a double vote.
    await card.getByTestId('feedback-vote').click();
    await expect.poll(() => card.getByTestId('feedback-votes').textContent()).toBe('1');
    await card.getByTestId('feedback-vote').click();
    await expect.poll(() => card.getByTestId('feedback-votes').textContent()).toBe('2');
    await card.getByTestId('feedback-post-link').click();
    await voter.page.getByTestId('feedback-post-detail').waitFor();
    expect(await voter.page.getByTestId('feedback-post-body').textContent()).toContain(
      '<script>window.__xss=3</script>',
    );
    await atWidths(voter.page, 'feedback-post');
    await voter.page.goto(`/w/${voter.account.workspaceId}/feedback`);
    await card.waitFor();
    await atWidths(voter.page, 'feedback-board');

    const note = await adminClient.post<Body>('/api/v1/admin/releases', {
      title: 'CSV export',
      body: 'Runs export to CSV.',
      category: 'new',
    });
    await adminClient.post(`/api/v1/admin/releases/${note.body.id}/publish`, {});
    const shipped = await server.db
      .knex('feedback_statuses')
      .where({ kind: 'shipped', builtin: true })
      .first();
    const moved = await adminClient.patch(`/api/v1/admin/feedback/posts/${post.id}`, {
      statusId: shipped.id,
      releaseNoteId: note.body.id,
    });
    expect(moved.status).toBe(200);

    await voter.page.reload();
    const notice = voter.page.getByTestId('shipped-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('Export runs as CSV');
    await atWidths(voter.page, 'feedback-shipped');
    await expect
      .poll(() => received.filter((m) => m.to.includes(voter.account.email)).length, { timeout: 10_000 })
      .toBe(1);
    await notice.getByTestId('shipped-notice-open').click();
    await voter.page.getByTestId('release-note').filter({ hasText: 'CSV export' }).waitFor();
    await voter.page.reload();
    await voter.page.getByTestId('releases-page').waitFor();
    await voter.page.waitForTimeout(500);
    expect(await voter.page.getByTestId('shipped-notice').count()).toBe(0);
    expect(await voter.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(received.filter((m) => m.to.includes(voter.account.email))).toHaveLength(1);
    await author.context.close();
    await voter.context.close();
  }, 60_000);
});
