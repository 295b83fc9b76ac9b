import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './helpers/api.js';
import { dragBetween, launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/**
 * The canvas in a real browser against the real server (createApi with an in-process engine),
 * which serves the built app (npm test builds it first: the pretest script).
 */
describe('canvas (browser)', () => {
  let server: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const password = 'correct Horse battery 9';

  async function signUp(page: Page, name: string, email: string): Promise<void> {
    await page.goto('/signup');
    await page.getByTestId('auth-name').fill(name);
    await page.getByTestId('auth-email').fill(email);
    await page.getByTestId('auth-password').fill(password);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('workflows-page').waitFor();
  }

  async function waitSaved(page: Page): Promise<void> {
    await expect
      .poll(() => page.getByTestId('save-state').textContent(), { timeout: 8000 })
      .toBe('All changes saved');
  }

  it('signs up, draws a workflow, fixes a validation error, publishes, runs and inspects the output', async () => {
    const { context, page, errors } = await newPerson(browser, server.baseUrl);
    await signUp(page, 'Rita Revops', `rita-${Date.now()}@example.com`);
    await screenshot(page, '01-empty-workflows');

    await page.getByTestId('new-workflow').click();
    await page.getByTestId('new-workflow-name').fill('Score upsell');
    await page.getByTestId('new-workflow-dialog').getByTestId('template-blank').click();
    await page.getByTestId('editor').waitFor();
    await page.getByTestId('canvas-empty').waitFor();

    // Palette: click two nodes in, drag the third onto the canvas.
    await page.getByTestId('palette-trigger.manual').click();
    await page.getByTestId('palette-logic.if').click();
    const canvas = await page.getByTestId('canvas').boundingBox();
    await page.getByTestId('palette-code.javascript').dragTo(page.getByTestId('canvas'), {
      targetPosition: { x: canvas!.width - 260, y: canvas!.height / 2 + 120 },
    });
    for (const id of ['manual_trigger', 'if', 'code']) await page.getByTestId(`node-${id}`).waitFor();
    // Lay the three out (dagre) so no connection has to cross a node, then fit them in view.
    await page.getByRole('button', { name: 'Auto-layout' }).click();
    await page.locator('.react-flow__controls-fitview').click();

    // Connect: trigger → if, if.true → code. A connection into the trigger is refused.
    await dragBetween(
      page,
      '[data-testid="handle-out-manual_trigger-out"]',
      '[data-testid="handle-in-if-in"]',
    );
    await dragBetween(page, '[data-testid="handle-out-if-true"]', '[data-testid="handle-in-code-in"]');
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(2);
    await dragBetween(
      page,
      '[data-testid="handle-out-code-out"]',
      '[data-testid="handle-out-manual_trigger-out"]',
    );
    expect(await page.locator('.react-flow__edge').count()).toBe(2);

    // The server's validation: the if node has no condition yet.
    await waitSaved(page);
    await expect.poll(() => page.getByTestId('node-if').getAttribute('data-invalid')).toBe('true');
    await expect.poll(() => page.getByTestId('node-problem-if').textContent()).toMatch(/condition/i);
    await page.getByTestId('node-if').click();
    await page.getByTestId('field-error-condition').waitFor();
    await screenshot(page, '02-validation-error');

    // Fix it with the condition builder.
    await page.getByTestId('input-condition-path').fill('input.score');
    await page.getByTestId('input-condition-op').selectOption('>=');
    await page.getByTestId('input-condition-value').fill('50');
    await waitSaved(page);
    await expect.poll(() => page.getByTestId('node-if').getAttribute('data-invalid')).toBe('false');

    // Configure the code node: its source, and a retry policy.
    await page.getByTestId('node-code').click();
    await page
      .getByTestId('input-source')
      .fill("return { doubled: input.score * 2, plan: input.score > 70 ? 'pro' : 'starter' };");
    await page.getByTestId('node-settings-tab').click();
    await page.getByTestId('retry-max').fill('2');
    await waitSaved(page);
    await expect.poll(() => page.getByTestId('issue-count').textContent()).toBe('✓ Valid');
    await page.getByTestId('node-settings-tab').click();
    await screenshot(page, '03-editor-valid');

    // Publish with a note.
    await page.getByTestId('publish').click();
    await page.getByTestId('publish-note').fill('First version');
    await page.getByTestId('publish-confirm').click();
    await expect.poll(() => page.getByTestId('workflow-status').textContent()).toBe('published');

    // Run with an input and watch it live.
    await page.getByTestId('run').click();
    await page.getByTestId('run-input').fill('{ "score": 72 }');
    await page.getByTestId('run-confirm').click();
    await page.getByTestId('run-page').waitFor();
    await expect
      .poll(() => page.getByTestId('run-status').textContent(), { timeout: 15_000 })
      .toBe('succeeded');
    for (const id of ['manual_trigger', 'if', 'code']) {
      await expect.poll(() => page.getByTestId(`node-${id}`).getAttribute('data-status')).toBe('succeeded');
    }
    await page.getByTestId('node-code').click();
    const output = JSON.parse((await page.getByTestId('step-output').textContent()) ?? 'null') as unknown;
    expect(output).toEqual({ doubled: 144, plan: 'pro' });
    await screenshot(page, '04-run-succeeded');

    // Dark mode.
    await page.getByTestId('theme-toggle').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await screenshot(page, '05-run-dark');
    await page.getByTestId('theme-toggle').click();

    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });

  it('shows a failed run with the failed node in red and its error, and retries it', async () => {
    const { context, page } = await newPerson(browser, server.baseUrl);
    await signUp(page, 'Frank Failing', `frank-${Date.now()}@example.com`);
    const workspaceId = new URL(page.url()).pathname.split('/')[2]!;
    const doc = (source: string) => ({
      schemaVersion: 1,
      name: 'Plan check',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
        { id: 'check', type: 'code.javascript', config: { source }, position: { x: 280, y: 0 } },
      ],
      edges: [{ from: 'start', to: 'check' }],
    });
    // Set up through the API with the browser's own session (the UI path is covered above).
    const call = (method: string, path: string, body?: unknown) =>
      page.evaluate(
        async ([m, p, b]) => {
          const response = await fetch(p, {
            method: m,
            headers: { 'content-type': 'application/json', 'X-Revflow-CSRF': '1' },
            body: b === undefined ? undefined : JSON.stringify(b),
          });
          return (await response.json()) as { id: string };
        },
        [method, path, body] as const,
      );
    const base = `/api/v1/workspaces/${workspaceId}/workflows`;
    const workflow = await call(
      'POST',
      base,
      doc("if (!input.plan) throw new Error('Customer has no plan'); return input;"),
    );
    await call('POST', `${base}/${workflow.id}/publish`, { note: 'broken' });

    await page.goto(`/w/${workspaceId}/workflows/${workflow.id}`);
    await page.getByTestId('run').click();
    await page.getByTestId('run-input').fill('{}');
    await page.getByTestId('run-confirm').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 15_000 }).toBe('failed');
    await expect.poll(() => page.getByTestId('node-check').getAttribute('data-status')).toBe('failed');
    expect(await page.getByTestId('node-check').evaluate((el) => getComputedStyle(el).borderColor)).toBe(
      'rgb(220, 38, 38)',
    );
    await page.getByTestId('node-check').click();
    expect(await page.getByTestId('step-error').textContent()).toContain('Customer has no plan');
    await screenshot(page, '06-run-failed');

    // Fix and publish, then retry from the failed step: a new run that succeeds.
    await call('PUT', `${base}/${workflow.id}`, doc("return { plan: input.plan ?? 'starter' };"));
    await call('POST', `${base}/${workflow.id}/publish`, { note: 'fixed' });
    const failedUrl = page.url();
    await page.getByTestId('retry-run').click();
    await expect.poll(() => page.url()).not.toBe(failedUrl);
    await expect
      .poll(() => page.getByTestId('run-status').textContent(), { timeout: 15_000 })
      .toBe('succeeded');
    await expect.poll(() => page.getByTestId('node-check').getAttribute('data-status')).toBe('succeeded');

    await page.getByTestId('nav-runs').click();
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(2);
    await screenshot(page, '07-runs-list');
    await context.close();
  });

  it('sends an invitation that another person accepts in a second browser context', async () => {
    const owner = await newPerson(browser, server.baseUrl);
    await signUp(owner.page, 'Olivia Owner', `olivia-${Date.now()}@example.com`);
    await owner.page.getByTestId('nav-team').click();
    const email = `ivan-${Date.now()}@example.com`;
    await owner.page.getByTestId('invite-email').fill(email);
    await owner.page.getByTestId('invite-role').selectOption('member');
    await owner.page.getByTestId('invite-send').click();
    const link = (await owner.page.getByTestId('invite-link').textContent()) ?? '';
    expect(link).toMatch(/\/invitations\//);
    await screenshot(owner.page, '08-team');

    const invitee = await newPerson(browser, server.baseUrl);
    await invitee.page.goto(new URL(link).pathname);
    await invitee.page
      .getByTestId('accept-invitation')
      .getByText("Olivia Owner's workspace")
      .first()
      .waitFor();
    await invitee.page.getByTestId('accept-name').fill('Ivan Invited');
    await invitee.page.getByTestId('accept-password').fill(password);
    await screenshot(invitee.page, '09-accept-invitation');
    await invitee.page.getByTestId('accept-submit').click();
    await invitee.page.getByTestId('workflows-page').waitFor();
    expect(
      await invitee.page.getByTestId('workspace-switcher').locator('option:checked').textContent(),
    ).toContain("Olivia Owner's workspace");
    expect(await invitee.page.getByTestId('current-user').textContent()).toContain('Ivan Invited');

    await owner.page.reload();
    await expect.poll(() => owner.page.getByTestId('member-row').count()).toBe(2);
    await owner.context.close();
    await invitee.context.close();
  });

  it('starts from a template; undo, redo, copy and paste; rename, duplicate, search and delete in the list', async () => {
    const { context, page } = await newPerson(browser, server.baseUrl);
    await signUp(page, 'Lena List', `lena-${Date.now()}@example.com`);
    await page.getByTestId('template-lead-routing').click();
    await page.getByTestId('editor').waitFor();
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(5);
    await expect.poll(() => page.getByTestId('issue-count').textContent()).toBe('✓ Valid');

    // Delete a node with the keyboard, undo, redo, undo again.
    await page.getByTestId('node-selfserve').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(4);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(5);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(4);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(4);

    // Copy and paste a node: a new id, same type.
    await page.getByTestId('node-enterprise').click();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await page.getByTestId('node-set_fields').waitFor();
    await page.getByTestId('auto-layout').click();
    await waitSaved(page);
    await screenshot(page, '10-template-editor');

    await page.getByTestId('nav-workflows').click();
    await expect.poll(() => page.getByTestId('workflow-row').count()).toBe(1);
    const row = page.getByTestId('workflow-row').first();
    await row.getByRole('button', { name: 'Duplicate' }).click();
    await expect.poll(() => page.getByTestId('workflow-row').count()).toBe(2);
    await page
      .getByTestId('workflow-row')
      .filter({ hasText: '(copy)' })
      .getByRole('button', { name: 'Rename' })
      .click();
    await page.getByRole('dialog').locator('input').fill('Copy for EMEA');
    await page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click();
    await page.getByTestId('workflow-list').getByText('Copy for EMEA').waitFor();
    await page.getByTestId('workflow-search').fill('emea');
    await expect.poll(() => page.getByTestId('workflow-row').count()).toBe(1);
    await page.getByTestId('delete-workflow').click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('workflow-search').fill('');
    await expect.poll(() => page.getByTestId('workflow-row').count()).toBe(1);
    await screenshot(page, '11-workflow-list');

    // A switch gets its output ports from its cases (POST /node-types/logic.switch/ports).
    await page.getByTestId('new-workflow').click();
    await page.getByTestId('new-workflow-dialog').getByTestId('template-lead-routing').click();
    await page.getByTestId('handle-out-size-enterprise').waitFor();
    await page.getByTestId('handle-out-size-default').waitFor();
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(4);
    await context.close();
  });
});
