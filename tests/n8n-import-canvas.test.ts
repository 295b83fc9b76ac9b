import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/** The import dialog in a real browser (built canvas): paste an n8n export, read the per-node report, open the draft. */
describe('import dialog (browser)', () => {
  let server: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('imports a pasted n8n workflow, shows what each node became, and opens the draft', async () => {
    const { context, page, errors } = await newPerson(browser, server.baseUrl);
    await page.goto('/signup');
    await page.getByTestId('auth-name').fill('Nina Eight');
    await page.getByTestId('auth-email').fill(`nina-${Date.now()}@example.com`);
    await page.getByTestId('auth-password').fill('correct Horse battery 9');
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('workflows-page').waitFor();

    const file = new URL('./fixtures/n8n/enes-Claude-Smart-Webhook-AI-Router.json', import.meta.url);
    const workflow = JSON.parse(readFileSync(file, 'utf8')) as { name: string; nodes: unknown[] };
    workflow.nodes.push({
      name: 'Sheet',
      type: 'n8n-nodes-base.googleSheets',
      typeVersion: 4,
      position: [0, 400],
      parameters: {},
    });

    await page.getByTestId('import-workflow').click();
    await page.getByTestId('import-text').fill('{ not json');
    await page.getByTestId('import-submit').click();
    await expect.poll(() => page.getByTestId('import-error').textContent()).toContain('not valid JSON');

    await page.getByTestId('import-text').fill(JSON.stringify(workflow));
    await page.getByTestId('import-submit').click();
    await page.getByTestId('import-report').waitFor();
    expect(await page.getByTestId('import-summary').textContent()).toMatch(
      /6 n8n nodes: 5 mapped, 0 partly, 1 not mapped/,
    );
    await expect.poll(() => page.getByTestId('import-node').count()).toBe(6);
    const sheet = page.getByTestId('import-node').filter({ hasText: 'Sheet' });
    expect(await sheet.textContent()).toContain('has no Revflow equivalent');
    await screenshot(page, 'n8n-import-report');

    await page.getByTestId('import-open').click();
    await page.getByTestId('editor').waitFor();
    expect(await page.getByTestId('editor-title').textContent()).toBe(workflow.name);
    await expect.poll(() => page.locator('.react-flow__node').count()).toBeGreaterThanOrEqual(6);
    // The signed-out session check before signing up answers 401; nothing else may fail.
    expect(errors.filter((error) => !error.includes('status of 401'))).toEqual([]);
    await context.close();
  });
});
