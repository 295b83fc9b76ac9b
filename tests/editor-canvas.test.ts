import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, startApi, type Member, type Team, type TestApi } from './helpers/api.js';
import { dragBetween, launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/**
 * The editor RevOps expects (issue 18), in real Chromium against the real server: build from
 * scratch and test-run the draft without publishing, pin data that downstream test runs use,
 * an expression preview, a code syntax error on its node, not-found pages, and every main page
 * at 390 × 844 without horizontal overflow.
 */

let server: TestApi;
let browser: Browser;
let team: Team;
let base: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function as(who: Member, viewport?: { width: number; height: number }) {
  const person = await newPerson(browser, server.baseUrl);
  await person.context.addCookies([
    { name: 'revflow_session', value: who.client.sessionCookie!, url: server.baseUrl },
  ]);
  if (viewport) await person.page.setViewportSize(viewport);
  return person;
}

const chain = (name: string, source = 'return { doubled: input.n * 2 }') => ({
  schemaVersion: 1,
  name,
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
    { id: 'double', type: 'code.javascript', config: { source }, position: { x: 280, y: 0 } },
    {
      id: 'label',
      type: 'code.javascript',
      config: { source: 'return { text: "n=" + input.doubled }' },
      position: { x: 560, y: 0 },
    },
  ],
  edges: [
    { from: 'start', to: 'double' },
    { from: 'double', to: 'label' },
  ],
});

async function create(document: unknown): Promise<string> {
  const response = await team.member.client.post<{ id: string }>(`${base}/workflows`, document);
  expect(response.status).toBe(201);
  return response.body.id;
}

async function waitSaved(page: Page): Promise<void> {
  await expect
    .poll(() => page.getByTestId('save-state').textContent(), { timeout: 8000 })
    .toBe('All changes saved');
}

async function testRun(page: Page, input?: string): Promise<void> {
  await page.getByTestId('test-run').click();
  await page.getByTestId('test-run-dialog').waitFor();
  if (input !== undefined) {
    await page.getByTestId('test-run-source').selectOption('json');
    await page.getByTestId('test-run-input').fill(input);
  }
  await page.getByTestId('test-run-confirm').click();
  await expect.poll(() => page.getByTestId('test-run-state').textContent(), { timeout: 10_000 }).toBe('succeeded');
}

describe('the editor (browser)', () => {
  it('builds a workflow from scratch and test-runs the draft without publishing it', async () => {
    const { context, page, errors } = await as(team.member);
    await page.goto(`/w/${team.workspaceId}/workflows`);
    await page.getByTestId('new-workflow').click();
    await page.getByTestId('new-workflow-name').fill('Scratch test');
    await page.getByTestId('new-workflow-dialog').getByTestId('template-blank').click();
    await page.getByTestId('editor').waitFor();
    await page.getByTestId('palette-trigger.manual').click();
    await page.getByTestId('palette-code.javascript').click();
    await page.getByTestId('node-code').waitFor();
    await page.locator('.react-flow__controls-fitview').click();
    await dragBetween(page, '[data-testid="handle-out-manual_trigger-out"]', '[data-testid="handle-in-code-in"]');
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(1);
    await waitSaved(page);

    await testRun(page, '{"plan": "starter"}');
    await expect.poll(() => page.getByTestId('node-code').getAttribute('data-status')).toBe('succeeded');
    expect(await page.getByTestId('workflow-status').textContent()).toBe('draft');
    // The node's data: what it got and returned in that test run.
    await page.getByTestId('node-code').click();
    await page.getByTestId('node-data-tab').click();
    await expect.poll(() => page.getByTestId('node-output').textContent()).toContain('starter');
    await screenshot(page, 'editor-01-test-run');

    // The run is marked as a test in the run viewer.
    await page.getByTestId('test-run-status').click();
    await page.getByTestId('run-page').waitFor();
    await page.getByTestId('run-test-badge').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('pins data that downstream test runs use, and previews an expression against it', async () => {
    const id = await create(chain('Pinned'));
    const { context, page, errors } = await as(team.member);
    await page.goto(`/w/${team.workspaceId}/workflows/${id}`);
    await page.getByTestId('editor').waitFor();
    await testRun(page, '{"n": 2}');

    await page.getByTestId('node-double').click();
    await page.getByTestId('node-data-tab').click();
    await expect.poll(() => page.getByTestId('node-output').textContent()).toContain('4');
    await page.getByTestId('pin-output').click();
    await page.getByTestId('pinned-data').fill('{"doubled": 1000}');
    await page.getByTestId('save-pin').click();
    await waitSaved(page);
    const saved = await team.member.client.get<{ draft: { pinData?: unknown } }>(`${base}/workflows/${id}`);
    expect(saved.body.draft.pinData).toEqual({ double: { doubled: 1000 } });

    await page.getByTestId('test-run').click();
    await page.getByTestId('test-run-confirm').click();
    await expect.poll(() => page.getByTestId('test-run-state').textContent(), { timeout: 10_000 }).toBe('succeeded');
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.getByTestId('node-label').click();
    await page.getByTestId('node-data-tab').click();
    await expect.poll(() => page.getByTestId('node-output').textContent()).toContain('n=1000');
    await page.getByTestId('expr-input').fill('{{ input.doubled }}');
    await expect.poll(() => page.getByTestId('expr-preview').textContent()).toBe('1000');
    await page.getByTestId('expr-input').fill('Total: {{ nodes.double.output.doubled }} units');
    await expect.poll(() => page.getByTestId('expr-preview').textContent()).toBe('Total: 1000 units');
    await screenshot(page, 'editor-02-pinned');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a code syntax error on its node, with the line', async () => {
    const id = await create(chain('Broken code', 'const a = 1;\nreturn { a: ;'));
    const { context, page } = await as(team.member);
    await page.goto(`/w/${team.workspaceId}/workflows/${id}`);
    await expect.poll(() => page.getByTestId('node-double').getAttribute('data-invalid')).toBe('true');
    await expect.poll(() => page.getByTestId('node-problem-double').textContent()).toMatch(/line 2: SyntaxError/);
    expect(await page.getByTestId('issue-count').textContent()).toMatch(/1 problem/);
    await screenshot(page, 'editor-03-syntax-error');
    await context.close();
  });

  it('shows not-found pages with a way back for a missing workflow, run and URL', async () => {
    const { context, page, errors } = await as(team.member);
    const ws = `/w/${team.workspaceId}`;
    for (const path of [
      `${ws}/workflows/0190a3c4-0000-7000-8000-000000000000`,
      `${ws}/workflows/not-a-uuid`,
      `${ws}/runs/0190a3c4-0000-7000-8000-000000000000`,
      `${ws}/runs/nope`,
      `${ws}/no-such-page`,
      '/no-such-page',
    ]) {
      await page.goto(path);
      await page.getByTestId('not-found').waitFor();
      expect(await page.getByTestId('not-found').textContent()).not.toMatch(/Invalid UUID|reconnecting/i);
    }
    await page.goto(`${ws}/runs/0190a3c4-0000-7000-8000-000000000000`);
    await page.getByTestId('not-found-back').click();
    await page.getByTestId('runs-list').or(page.getByText(/no runs/i)).first().waitFor();
    expect(errors.filter((e) => !/404|400|Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });

  it('at 390 × 844: a menu instead of the sidebar, lists, view mode, and no page overflows', async () => {
    const id = await create(chain('Phone view'));
    await team.member.client.post(`${base}/workflows/${id}/test-runs`, { input: { n: 1 } });
    const { context, page } = await as(team.owner, { width: 390, height: 844 });
    const ws = `/w/${team.workspaceId}`;
    await page.goto(`${ws}/workflows`);
    await page.getByTestId('menu-button').waitFor();
    expect(await page.getByTestId('sidebar').isVisible()).toBe(false);
    await page.getByTestId('menu-button').click();
    expect(await page.getByTestId('sidebar').isVisible()).toBe(true);
    await page.getByTestId('nav-runs').click();
    await expect.poll(() => page.getByTestId('sidebar').isVisible()).toBe(false);

    const pages = [
      'workflows',
      'runs',
      `workflows/${id}`,
      'tasks',
      'approvals',
      'billing',
      'team',
      'outbound',
      'calls',
      'knowledge',
      'salesboard',
      'analytics',
      'safety',
      'releases',
      'feedback',
      'no-such-page',
    ];
    const overflowing: string[] = [];
    for (const name of pages) {
      await page.goto(`${ws}/${name}`);
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await page.waitForTimeout(300);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 390) overflowing.push(`${name}: ${width}`);
      await screenshot(page, `editor-390-${name.replace(/[^a-z0-9]+/gi, '-')}`);
    }
    expect(overflowing).toEqual([]);

    // The editor opens in view mode: the graph and its run status, and says why.
    await page.goto(`${ws}/workflows/${id}`);
    await page.getByTestId('view-mode-note').waitFor();
    await page.getByTestId('node-double').waitFor();
    expect(await page.getByTestId('palette-trigger.manual').count()).toBe(0);
    await page.getByTestId('run-status-panel').waitFor();
    // Tables are lists: no header row is shown.
    await page.goto(`${ws}/workflows`);
    await page.getByTestId('workflow-list').waitFor();
    expect(await page.locator('[data-testid="workflow-list"] thead').isVisible()).toBe(false);
    await context.close();
  });
});
