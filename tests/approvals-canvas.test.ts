import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/** The Approvals page in a real browser against the real server (built canvas, in-process engine). */
describe('approvals page (browser)', () => {
  let server: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Same-origin API calls with the page's session, as the canvas makes them. */
  async function call<T>(page: Page, method: 'GET' | 'POST', path: string, data?: unknown): Promise<T> {
    const response = await page.request.fetch(path, {
      method,
      headers: { 'x-revflow-csrf': '1' },
      ...(data !== undefined ? { data } : {}),
    });
    expect(response.status(), await response.text()).toBeLessThan(300);
    return (await response.json()) as T;
  }

  it('lists a pending approval and approves it with a comment; the run resumes', async () => {
    const { page, errors } = await newPerson(browser, server.baseUrl);
    await page.goto('/signup');
    await page.getByTestId('auth-name').fill('Ada Approver');
    await page.getByTestId('auth-email').fill(`ada-${Date.now()}@example.com`);
    await page.getByTestId('auth-password').fill('correct Horse battery 9');
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('workflows-page').waitFor();
    const workspaceId = /\/w\/([^/]+)\//.exec(page.url())![1]!;
    const base = `/api/v1/workspaces/${workspaceId}`;

    const workflow = await call<{ id: string }>(page, 'POST', `${base}/workflows`, {
      schemaVersion: 1,
      name: 'Refund approval',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'ask', type: 'flow.approval', config: { title: 'Refund {{ input.amount }} EUR to Acme' } },
      ],
      edges: [{ from: 'start', to: 'ask' }],
    });
    await call(page, 'POST', `${base}/workflows/${workflow.id}/publish`, {});
    const run = await call<{ id: string }>(page, 'POST', `${base}/workflows/${workflow.id}/runs`, {
      input: { amount: 120 },
    });
    await expect
      .poll(async () => (await call<{ status: string }>(page, 'GET', `${base}/runs/${run.id}`)).status)
      .toBe('waiting');

    await page.getByTestId('nav-approvals').click();
    await page.getByTestId('approvals-list').waitFor();
    const row = page.locator('[data-testid^="approval-"]', { hasText: 'Refund 120 EUR to Acme' });
    await row.waitFor();
    await row.getByTestId('approval-comment').fill('Goodwill gesture');
    await screenshot(page, 'approvals-pending');
    await row.getByTestId('approval-approve').click();
    await page.getByText('Nothing waits for a decision').waitFor();

    await expect
      .poll(async () => (await call<{ status: string }>(page, 'GET', `${base}/runs/${run.id}`)).status)
      .toBe('succeeded');
    const steps = (
      await call<{ steps: Array<{ nodeId: string; ports: string[]; output: { comment: string } }> }>(
        page,
        'GET',
        `${base}/runs/${run.id}`,
      )
    ).steps;
    const ask = steps.find((step) => step.nodeId === 'ask')!;
    expect(ask.ports).toEqual(['approved']);
    expect(ask.output.comment).toBe('Goodwill gesture');

    // The decision is in the history, with who decided.
    await page.getByTestId('approvals-filter').selectOption('all');
    await page.getByTestId('approvals-list').getByText('Goodwill gesture', { exact: false }).waitFor();
    // The signed-out /api/v1/me probe before sign-up answers 401: not an error of this page.
    expect(errors.filter((error) => !/Failed to load resource/.test(error))).toEqual([]);
  });
});
