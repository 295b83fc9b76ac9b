import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedGrowth } from '../bench/seed-growth.js';
import { startApi, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/**
 * The Analytics page in a real browser, on the week `npm run seed:demo` writes (ending Monday
 * 30 March 2026). Every figure below is worked out by hand from bench/seed-growth.ts.
 */
const END = new Date('2026-03-30T00:00:00Z');

describe('Analytics page (browser)', () => {
  let server: TestApi;
  let browser: Browser;
  const password = 'correct Horse battery 9';

  beforeAll(async () => {
    [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signUp(page: Page, email: string): Promise<string> {
    await page.goto('/signup');
    await page.getByTestId('auth-name').fill('Olivia Owner');
    await page.getByTestId('auth-email').fill(email);
    await page.getByTestId('auth-password').fill(password);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('workflows-page').waitFor();
    return /\/w\/([^/]+)/.exec(page.url())?.[1] ?? '';
  }

  it('shows the seeded week: activation, a daily cohort grid, lifecycle, MRR and churn risk', async () => {
    const { page, errors, context } = await newPerson(browser, server.baseUrl);
    const email = `olivia-${Date.now()}@example.com`;
    const workspaceId = await signUp(page, email);
    const owner = await server.db.knex('users').where({ email }).first<{ id: string }>('id');
    // Before signing up the canvas asks who is logged in (a 401): only errors from here on count.
    errors.length = 0;
    await seedGrowth(server.db.knex, { end: END, workspaceId, ownerId: owner.id });

    await page.goto(`/w/${workspaceId}/analytics?to=2026-03-29`);
    await page.getByTestId('analytics-page').waitFor();
    // Activation: the owner reached lead (09:30), email (09:00) and launch (12:00) on day 0; the reps none.
    await expect.poll(() => page.getByTestId('kpi-activation-value').textContent()).toBe('25%');
    expect(await page.getByTestId('kpi-activation').textContent()).toContain('1 of 4');
    expect(await page.getByTestId('funnel-account_created').textContent()).toBe('Account created4100%');
    expect(await page.getByTestId('funnel-first_lead_added').textContent()).toBe('First lead added125%');
    expect(await page.getByTestId('funnel-team_member_invited').textContent()).toBe('Team member invited125%');
    expect(await page.getByTestId('funnel-crm_connected').textContent()).toBe('CRM connected00%');
    // Revenue: Demo Co went Professional (20 seats) on day 0.
    expect(await page.getByTestId('kpi-mrr-value').textContent()).toBe('$299');
    expect(await page.getByTestId('mrr-2026-03').textContent()).toBe('2026-03$299$0$0$0$0$299——');
    // Churn risk, scored on the seeded clock: only 16 of 20 seats are empty (10 × 16/20 = 8).
    const churn = page.getByTestId(`churn-${workspaceId}`);
    expect(await churn.getByTestId('churn-score').textContent()).toBe('8');
    expect(await churn.textContent()).toContain('16 of 20 seats unused');
    await screenshot(page, 'analytics-01-weekly-1440');

    // Daily cohorts: day 0 = Olivia, Ana, Ben (Ben active until day 4), day 1 = Cy (active days 1–2).
    await page.getByTestId('retention-unit').selectOption('day');
    await expect.poll(() => page.getByTestId('lifecycle-last').textContent()).toBe(
      'This day: 0 new · 2 returning · 0 resurrecting · 0 dormant',
    );
    const grid = page.getByTestId('cohort-grid');
    const row = async (date: string) => (await grid.locator('tr', { hasText: date }).first().textContent()) ?? '';
    expect(await row('Mar 23')).toBe('Mar 233100%100%100%100%100%66.7%66.7%');
    expect(await row('Mar 24')).toBe('Mar 241100%100%0%0%0%0%');
    await page.getByTestId('retention-mode').selectOption('onOrAfter');
    await expect.poll(() => row('Mar 24')).toBe('Mar 241100%100%0%0%0%0%');
    expect(await row('Mar 23')).toBe('Mar 233100%100%100%100%100%66.7%66.7%');
    await screenshot(page, 'analytics-02-daily-1440');

    // A phone, in dark mode: everything still readable, nothing wider than the screen.
    const phone = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 390, height: 844 }, colorScheme: 'dark', storageState: await context.storageState() });
    const mobile = await phone.newPage();
    // The NPS survey (another feature) may pop up over the page: dismiss it for the screenshots.
    void mobile
      .getByTestId('nps-dismiss')
      .click({ timeout: 5000 })
      .catch(() => undefined);
    await mobile.goto(`/w/${workspaceId}/analytics?to=2026-03-29`);
    await mobile.getByTestId('cohort-grid').waitFor();
    expect(await mobile.evaluate(() => document.documentElement.getAttribute('data-theme'))).toBe('dark');
    expect(await mobile.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(mobile, 'analytics-03-dark-390');
    await mobile.getByTestId('churn-list').scrollIntoViewIfNeeded();
    await screenshot(mobile, 'analytics-04-dark-390-churn');
    await phone.close();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('tells a member that analytics are for the owner', async () => {
    const { page, context } = await newPerson(browser, server.baseUrl);
    const workspaceId = await signUp(page, `member-${Date.now()}@example.com`);
    await server.db.knex('memberships').where({ workspace_id: workspaceId }).update({ role: 'member' });
    await page.goto(`/w/${workspaceId}/analytics`);
    await page.getByText('Analytics are for the workspace owner').waitFor();
    await context.close();
  });
});
