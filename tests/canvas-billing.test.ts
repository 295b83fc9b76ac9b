import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { startApi, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/** The Billing & Usage page in a real browser against the real server (local billing mode). */
describe('Billing & Usage page (browser)', () => {
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

  async function signUp(page: Page, name: string, email: string): Promise<string> {
    await page.goto('/signup');
    await page.getByTestId('auth-name').fill(name);
    await page.getByTestId('auth-email').fill(email);
    await page.getByTestId('auth-password').fill(password);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('workflows-page').waitFor();
    return /\/w\/([^/]+)/.exec(page.url())?.[1] ?? '';
  }

  it('shows the trial, usage bars and seats, and upgrades locally', async () => {
    const { context, page, errors } = await newPerson(browser, server.baseUrl);
    const workspaceId = await signUp(page, 'Bill Owner', `bill-${Date.now()}@example.com`);
    // Some usage to see on the bars: 41 of the trial's 5,000 AI generations, 3 leads.
    const billing = billingFor(server.db.knex);
    await billing.usage.record(workspaceId, { meter: 'ai_generations', quantity: 41, idempotencyKey: 'g' });
    for (const lead of ['a', 'b', 'c'])
      await billing.usage.record(workspaceId, {
        meter: 'leads',
        idempotencyKey: lead,
        subject: `${lead}@x.io`,
      });

    await page.getByTestId('nav-billing').click();
    await page.getByTestId('billing-page').waitFor();
    await expect
      .poll(() => page.getByTestId('billing-local-banner').textContent())
      .toContain('Billing runs in local mode: nothing is charged');
    expect(await page.getByTestId('current-plan-name').textContent()).toBe('Professional trial');
    expect(await page.getByTestId('trial-days-left').textContent()).toContain('14 days left');
    expect(await page.getByTestId('usage-ai_generations-text').textContent()).toBe('41 / 5,000');
    expect(await page.getByTestId('usage-leads-text').textContent()).toBe('3 / 10,000');
    expect(
      await page.getByTestId('usage-campaigns').getByRole('progressbar').getAttribute('aria-valuenow'),
    ).toBe('0');
    expect(await page.getByTestId('seats-text').textContent()).toContain('1 of 3 seats used');
    expect(await page.getByTestId('no-invoices').textContent()).toContain('nothing is charged');
    await screenshot(page, 'billing-01-trial');

    // Upgrade to Starter: a preview first, then the change, in local mode.
    await page.getByTestId('choose-starter').click();
    await page.getByTestId('change-preview').getByText('Local mode: nothing is charged.').waitFor();
    await page.getByTestId('confirm-change').click();
    await expect.poll(() => page.getByTestId('current-plan-name').textContent()).toBe('Starter');
    expect(await page.getByTestId('billing-status').textContent()).toBe('active');
    expect(await page.getByTestId('plan-starter').textContent()).toContain('Current plan');
    expect(await page.getByTestId('usage-ai_generations-text').textContent()).toBe('41 / 500');
    expect(await page.getByTestId('seats-text').textContent()).toContain('1 of 5 seats used');
    expect((await billing.accounts.get(workspaceId)).planId).toBe('starter');

    // The payment portal needs Stripe: local mode says so.
    await page.getByTestId('manage-payment').click();
    await page
      .getByText(/local mode/i)
      .nth(1)
      .waitFor();
    await screenshot(page, 'billing-02-upgraded');
    expect(await page.getByTestId('seats-input').inputValue()).toBe('5');

    // A billing template opens on the canvas as a new workflow.
    await page.getByTestId('use-template-billing-usage-80').click();
    await page.getByTestId('editor').waitFor();
    await page.getByTestId('node-opportunity').waitFor();
    await screenshot(page, 'billing-03-template');
    // Resource errors are the refused requests (401 before sign-up, the 409 above); no page errors.
    expect(errors.filter((error) => !/Failed to load resource/.test(error))).toEqual([]);
    await context.close();
  });

  it('tells members the page is for owners and admins', async () => {
    const owner = server.client();
    const account = await owner.signup();
    const { context, page } = await newPerson(browser, server.baseUrl);
    const email = `mia-${Date.now()}@example.com`;
    await signUp(page, 'Mia Member', email);
    const user = await server.db.knex('users').where({ email }).first<{ id: string }>('id');
    await server.db
      .knex('memberships')
      .insert({ workspace_id: account.workspaceId, user_id: user.id, role: 'member' });
    await page.goto(`/w/${account.workspaceId}/billing`);
    expect(await page.getByTestId('billing-forbidden').textContent()).toContain('for the owners and admins');
    await context.close();
  });
});
