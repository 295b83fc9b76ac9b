import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { startApi, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';
import { insertCall } from './helpers/knowledge.js';

/**
 * The Knowledge page in a real browser against the real server (built canvas): a battle card built
 * from two calls is found by search with the match highlighted, opens with its sections, its two
 * call sources and its history, and the open is counted as a view.
 */
let server: TestApi;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('knowledge library (browser)', () => {
  it('searches a document and opens it with its sources, history and views', async () => {
    const client = server.client();
    const account = await client.signup();
    const workspaceId = account.workspaceId;
    await billingFor(server.db.knex).accounts.setPlan(workspaceId, { planId: 'professional' });
    const calls = [
      await insertCall(server.db.knex, workspaceId, 'Discovery with Priya', [
        ['Dana', 'Hi Priya, thanks for making time today, how does your team handle notes?'],
        ['Priya', 'We are evaluating Chorus at the moment, their demo was slick.'],
        ['Dana', 'Chorus records calls well; we also turn every call into tasks.'],
      ]),
      await insertCall(server.db.knex, workspaceId, 'Renewal chat with Alex', [
        ['Sam', 'Good morning Alex, thanks for joining us today for the renewal.'],
        ['Alex', 'We looked at Chorus last month because a colleague uses it.'],
        ['Sam', 'Teams that switch from Chorus to us save six hours a week per rep.'],
      ]),
    ];
    const generated = await client.post<{ documents: Array<{ id: string; kind: string }> }>(
      `/api/v1/workspaces/${workspaceId}/knowledge/generate`,
      { callIds: calls },
    );
    expect(generated.status, generated.text).toBe(200);
    const card = generated.body.documents.find((d) => d.kind === 'battle_card')!;

    const { context, page, errors } = await newPerson(browser, server.baseUrl);
    await context.addCookies([
      { name: 'revflow_session', value: client.sessionCookie ?? '', url: server.baseUrl },
    ]);
    await page.goto(`/w/${workspaceId}/knowledge`);
    await page.getByTestId('knowledge-search').fill('chorus demo');
    const hit = page.getByTestId('knowledge-hit').first();
    await expect
      .poll(async () => (await hit.textContent()) ?? '', { timeout: 10_000 })
      .toContain('Battle card: Chorus');
    expect(await hit.locator('mark').count()).toBeGreaterThan(0);
    await screenshot(page, 'knowledge-search');

    await hit.getByRole('link', { name: 'Battle card: Chorus' }).click();
    await page.waitForURL(`**/knowledge/${card.id}`);
    await expect
      .poll(() => page.getByTestId('knowledge-section').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    const document = (await page.getByTestId('knowledge-document').textContent()) ?? '';
    expect(document).toContain('What prospects say');
    expect(document).toContain('We are evaluating Chorus at the moment');
    const sources = (await page.getByTestId('knowledge-sources').textContent()) ?? '';
    expect(sources).toContain('Discovery with Priya');
    expect(sources).toContain('Renewal chat with Alex');
    expect((await page.getByTestId('knowledge-history').textContent()) ?? '').toContain('v1 · generated');
    await expect
      .poll(async () => (await page.getByTestId('knowledge-viewers').textContent()) ?? '', {
        timeout: 10_000,
      })
      .toContain('1×');
    await screenshot(page, 'knowledge-document');
    expect(errors.filter((e) => !e.includes('favicon'))).toEqual([]);
    await context.close();
  }, 90_000);
});
