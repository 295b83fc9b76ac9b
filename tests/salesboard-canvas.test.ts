import type { Browser, Page } from 'playwright-core';
import { billingFor } from '../api/billing/hub.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedGrowth } from '../bench/seed-growth.js';
import { startApi, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/**
 * The AI Salesboard in a real browser on the seeded week (bench/seed-growth.ts, ending Monday
 * 30 March 2026); the figures are the ones tests/salesboard-api.test.ts works out by hand.
 */
const END = '2026-03-30T00:00:00.000Z';

describe('AI Salesboard page (browser)', () => {
  let server: TestApi;
  let browser: Browser;

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
    await page.getByTestId('auth-password').fill('correct Horse battery 9');
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('workflows-page').waitFor();
    return /\/w\/([^/]+)/.exec(page.url())?.[1] ?? '';
  }

  it('shows the team, a rep, the funnel and insights, cached with a refresh', async () => {
    const { page, errors, context } = await newPerson(browser, server.baseUrl);
    const email = `sales-${Date.now()}@example.com`;
    const workspaceId = await signUp(page, email);
    const owner = await server.db.knex('users').where({ email }).first<{ id: string }>('id');
    // Before signing up the canvas asks who is logged in (a 401): only errors from here on count.
    errors.length = 0;
    const seed = await seedGrowth(server.db.knex, { end: new Date(END), workspaceId, ownerId: owner.id });

    await page.goto(`/w/${workspaceId}/salesboard?to=${END}`);
    await page.getByTestId('reps-table').waitFor();
    const kpi = (key: string) => page.getByTestId(`sb-${key}-value`).textContent();
    expect([await kpi('calls'), await kpi('emails'), await kpi('replies'), await kpi('meetings')]).toEqual(['14', '90', '14', '3']);
    expect([await kpi('pipeline'), await kpi('won'), await kpi('reply-rate'), await kpi('response')]).toEqual([
      '$15,000',
      '$5,000',
      '21.9%',
      '0.5 h',
    ]);
    expect(await page.getByTestId('team-funnel-replied').textContent()).toBe('Replied 14 21.9%');
    expect(await page.getByTestId('team-funnel-won').textContent()).toBe('Won 1 1.6%');
    expect(await page.getByTestId(`rep-${seed.reps.ana}`).getByTestId('rep-score').textContent()).toBe('84');
    expect(await page.getByTestId(`rep-${seed.reps.ben}`).textContent()).toBe('Ben Rep282140033.3%0$046.0 h');
    expect(await page.getByTestId('team-insights').textContent()).toContain(
      "Ana Rep books meetings with 10.7% of contacted leads, 2.3× the team's 4.7%.",
    );
    expect(await page.getByTestId('salesboard-stamp').textContent()).toMatch(/^Computed .+ · refreshes after /);
    await screenshot(page, 'salesboard-01-team-1440');

    // A refresh computes it again (not the cached board).
    const before = await page.getByTestId('salesboard-stamp').textContent();
    await page.reload();
    await expect.poll(() => page.getByTestId('salesboard-stamp').textContent()).toContain('(cached)');
    await page.getByTestId('salesboard-refresh').click();
    await expect.poll(() => page.getByTestId('salesboard-stamp').textContent()).not.toContain('(cached)');
    expect(before).not.toContain('(cached)');

    // Ben's page: his numbers and his coaching.
    await page.getByTestId(`rep-${seed.reps.ben}`).click();
    await page.getByTestId('rep-detail').waitFor();
    expect(await page.getByTestId('rep-detail-score').textContent()).toBe('28');
    expect(await page.getByTestId('rep-insights').textContent()).toContain('You answer replies in 46.0 h (median); the team in 0.5 h.');
    expect(await page.getByTestId('rep-funnel-contacted').textContent()).toBe('Contacted 21 100%');
    await screenshot(page, 'salesboard-02-rep-1440');

    const phone = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 390, height: 844 }, colorScheme: 'dark', storageState: await context.storageState() });
    const mobile = await phone.newPage();
    // The NPS survey (another feature) may pop up over the page: dismiss it for the screenshots.
    void mobile
      .getByTestId('nps-dismiss')
      .click({ timeout: 5000 })
      .catch(() => undefined);
    await mobile.goto(`/w/${workspaceId}/salesboard?to=${END}`);
    await mobile.getByTestId('reps-table').waitFor();
    expect(await mobile.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(mobile, 'salesboard-03-dark-390');
    await mobile.getByTestId('team-insights').scrollIntoViewIfNeeded();
    await screenshot(mobile, 'salesboard-04-dark-390-insights');
    await phone.close();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows Starter workspaces what plan has it', async () => {
    const { page, context } = await newPerson(browser, server.baseUrl);
    const workspaceId = await signUp(page, `starter-${Date.now()}@example.com`);
    // The billing account may be made on first use: make sure it exists, then put it on Starter.
    await billingFor(server.db.knex).accounts.get(workspaceId);
    const updated = await server.db.knex('billing_accounts').where({ workspace_id: workspaceId }).update({ plan_id: 'starter', status: 'active', trial_ends_at: null });
    expect(updated).toBe(1);
    await page.goto(`/w/${workspaceId}/salesboard`);
    await expect.poll(() => page.getByTestId('salesboard-gated').textContent()).toContain('upgrade to Professional');
    await context.close();
  });
});
