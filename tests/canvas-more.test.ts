import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, startApi, type Member, type Team, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/**
 * More of the canvas in a real browser against the real server (with an in-process engine):
 * import/export, API keys, the audit log by role, cancelling a waiting run, the credential
 * dropdown, the tasks page, expression completions from the last run, and version diffs.
 */
describe('canvas, more screens (browser)', () => {
  let server: TestApi;
  let browser: Browser;
  let team: Team;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
    team = await createTeam(server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A browser context logged in as `who` (the API session, handed to the browser). */
  async function as(who: Member, colorScheme: 'light' | 'dark' = 'light') {
    const person = await newPerson(browser, server.baseUrl);
    await person.context.addCookies([
      { name: 'revflow_session', value: who.client.sessionCookie!, url: server.baseUrl },
    ]);
    if (colorScheme === 'dark') await person.page.emulateMedia({ colorScheme: 'dark' });
    return person;
  }
  const workflows = () => `/api/v1/workspaces/${team.workspaceId}/workflows`;

  async function createWorkflow(document: unknown, publish = false): Promise<string> {
    const created = await team.owner.client.post<{ id: string }>(workflows(), document);
    expect(created.status).toBe(201);
    if (publish) {
      const published = await team.owner.client.post(`${workflows()}/${created.body.id}/publish`, {});
      expect(published.status).toBe(201);
    }
    return created.body.id;
  }

  async function waitSaved(page: Page): Promise<void> {
    await expect
      .poll(() => page.getByTestId('save-state').textContent(), { timeout: 8000 })
      .toBe('All changes saved');
  }

  async function closeAll(...contexts: BrowserContext[]): Promise<void> {
    await Promise.all(contexts.map((context) => context.close()));
  }

  it('imports a workflow from a JSON file and exports it back', async () => {
    const { context, page, errors } = await as(team.owner);
    await page.goto(`/w/${team.workspaceId}/workflows`);
    await page.getByTestId('workflows-page').waitFor();
    const document = {
      schemaVersion: 1,
      name: 'Imported renewal nudge',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
        { id: 'shape', type: 'data.set', config: {}, position: { x: 280, y: 0 } },
      ],
      edges: [{ from: 'start', to: 'shape' }],
    };
    await page.getByTestId('import-file').setInputFiles({
      name: 'renewal.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(document)),
    });
    await page.getByTestId('editor').waitFor();
    expect(await page.getByTestId('editor-title').textContent()).toBe('Imported renewal nudge');
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(2);

    await page.goto(`/w/${team.workspaceId}/workflows`);
    const row = page.getByTestId('workflow-row').filter({ hasText: 'Imported renewal nudge' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByTestId('export-workflow').click(),
    ]);
    expect(download.suggestedFilename()).toBe('Imported-renewal-nudge.json');
    const exported = JSON.parse(await readFile(await download.path(), 'utf8')) as typeof document;
    expect(exported.name).toBe('Imported renewal nudge');
    expect(exported.nodes.map((n) => [n.id, n.type])).toEqual([
      ['start', 'trigger.manual'],
      ['shape', 'data.set'],
    ]);
    expect(exported.edges).toMatchObject([{ from: 'start', to: 'shape' }]);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });

  it('creates an API key shown once, which works until revoked; the audit log shows it to admins only', async () => {
    const { context, page } = await as(team.admin);
    await page.goto(`/w/${team.workspaceId}/team`);
    await page.getByTestId('key-name').fill('CRM sync');
    await page.getByTestId('key-create').click();
    const key = (await page.getByTestId('key-secret').textContent()) ?? '';
    expect(key).toMatch(/^rf_live_/);
    const machine = server.keyClient(key);
    expect((await machine.get(workflows())).status).toBe(200);
    await screenshot(page, 'more-01-api-key-once');

    // Shown once: after a reload only the row (with its prefix) is left.
    await page.reload();
    const row = page.getByTestId('api-keys').locator('tr').filter({ hasText: 'CRM sync' });
    await row.waitFor();
    expect(await page.getByTestId('key-secret').count()).toBe(0);
    expect(await page.getByTestId('api-keys').textContent()).not.toContain(key);

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => row.count()).toBe(0);
    expect((await machine.get(workflows())).status).toBe(401);

    // The admin reads both in the audit log.
    await page.reload();
    const audit = page.getByTestId('audit-log');
    await audit.scrollIntoViewIfNeeded();
    await expect.poll(() => audit.textContent()).toMatch(/api.?key.*revoke|revoke.*api.?key/i);
    await screenshot(page, 'more-02-audit-admin-light');

    // A member has no audit log (dark mode this time), and sees an admin's key without a Revoke
    // button: members revoke only the keys they created.
    const adminKey = await team.admin.client.post(`/api/v1/workspaces/${team.workspaceId}/api-keys`, {
      name: 'Admin export',
      role: 'member',
    });
    expect(adminKey.status).toBe(201);
    const member = await as(team.member, 'dark');
    await member.page.goto(`/w/${team.workspaceId}/team`);
    await member.page.getByTestId('api-keys').waitFor();
    expect(await member.page.getByTestId('audit-log').count()).toBe(0);
    const adminRow = member.page.getByTestId('api-keys').locator('tr').filter({ hasText: 'Admin export' });
    await adminRow.waitFor();
    expect(await adminRow.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect(await member.page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await screenshot(member.page, 'more-03-team-member-dark');
    await closeAll(context, member.context);
  });

  it('cancels a waiting run from its page', async () => {
    const id = await createWorkflow(
      {
        schemaVersion: 1,
        name: 'Wait a minute',
        nodes: [
          { id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
          { id: 'pause', type: 'flow.delay', config: { ms: 60_000 }, position: { x: 280, y: 0 } },
          { id: 'after', type: 'data.set', config: {}, position: { x: 560, y: 0 } },
        ],
        edges: [
          { from: 'start', to: 'pause' },
          { from: 'pause', to: 'after' },
        ],
      },
      true,
    );
    const run = await team.owner.client.post<{ id: string }>(`${workflows()}/${id}/runs`, { input: {} });
    expect(run.status).toBe(202);
    const { context, page } = await as(team.owner);
    await page.goto(`/w/${team.workspaceId}/runs/${run.body.id}`);
    await expect
      .poll(() => page.getByTestId('run-status').textContent(), { timeout: 10_000 })
      .toBe('waiting');
    await expect.poll(() => page.getByTestId('node-pause').getAttribute('data-status')).toBe('waiting');
    await page.getByTestId('cancel-run').click();
    await expect
      .poll(() => page.getByTestId('run-status').textContent(), { timeout: 10_000 })
      .toBe('cancelled');
    expect(await page.getByTestId('cancel-run').count()).toBe(0);
    await screenshot(page, 'more-04-run-cancelled');
    const after = await team.owner.client.get<{ status: string }>(
      `/api/v1/workspaces/${team.workspaceId}/runs/${run.body.id}`,
    );
    expect(after.body.status).toBe('cancelled');
    await context.close();
  });

  it('picks an SMTP credential for an email node from a dropdown, creating it on the spot', async () => {
    const id = await createWorkflow({
      schemaVersion: 1,
      name: 'Welcome email',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
        {
          id: 'send',
          type: 'email.send',
          config: { to: 'lead@example.com', subject: 'Welcome', text: 'Hello' },
          position: { x: 280, y: 0 },
        },
      ],
      edges: [{ from: 'start', to: 'send' }],
    });
    const { context, page, errors } = await as(team.owner);
    await page.goto(`/w/${team.workspaceId}/workflows/${id}`);
    await page.getByTestId('node-send').click();
    const select = page.getByTestId('input-credentialId');
    await expect.poll(() => select.locator('option').allTextContents()).toContain('New credential…');
    await select.selectOption({ label: 'New credential…' });
    const dialog = page.getByTestId('credential-dialog');
    await dialog.waitFor();
    // The email node takes SMTP credentials only: no type to choose.
    expect(await dialog.getByTestId('credential-type').count()).toBe(0);
    await dialog.getByTestId('credential-name').fill('Postmark');
    await dialog.getByTestId('credential-host').fill('smtp.postmark.example');
    await dialog.getByTestId('credential-password').fill('s3cret-pass');
    await screenshot(page, 'more-05-new-credential');
    await dialog.getByTestId('credential-save').click();
    await dialog.waitFor({ state: 'detached' });

    await expect.poll(() => select.locator('option:checked').textContent()).toBe('Postmark · SMTP server');
    await waitSaved(page);
    const listed = await team.owner.client.get<{ items: Array<{ id: string; name: string }> }>(
      `/api/v1/workspaces/${team.workspaceId}/credentials`,
    );
    const postmark = listed.body.items.find((c) => c.name === 'Postmark');
    expect(postmark).toBeDefined();
    expect(JSON.stringify(listed.body)).not.toContain('s3cret-pass');
    const saved = await team.owner.client.get<{ draft: { nodes: Array<{ id: string; config: object }> } }>(
      `${workflows()}/${id}`,
    );
    expect(saved.body.draft.nodes.find((n) => n.id === 'send')?.config).toMatchObject({
      credentialId: postmark!.id,
    });
    await screenshot(page, 'more-06-credential-picked');

    // Team & settings lists it (name and type only) and deletes it.
    await page.getByTestId('nav-team').click();
    const row = page.getByTestId('credential-row-Postmark');
    await row.waitFor();
    expect(await row.textContent()).toContain('SMTP server');
    await row.scrollIntoViewIfNeeded();
    await screenshot(page, 'more-07-credentials-section');
    await page.getByTestId('credential-delete-Postmark').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => row.count()).toBe(0);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });

  it('lists a task a run created, offers the run’s field names as completions, and diffs versions', async () => {
    const id = await createWorkflow(
      {
        schemaVersion: 1,
        name: 'Follow up',
        nodes: [
          { id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
          {
            id: 'task',
            type: 'tasks.create',
            config: { title: 'Call {{ input.customer }}', priority: 'high', assignee: 'ae@example.com' },
            position: { x: 280, y: 0 },
          },
        ],
        edges: [{ from: 'start', to: 'task' }],
      },
      true,
    );
    const run = await team.owner.client.post<{ id: string }>(`${workflows()}/${id}/runs`, {
      input: { customer: 'Acme', seats: 40 },
    });
    await expect
      .poll(
        async () =>
          (
            await team.owner.client.get<{ status: string }>(
              `/api/v1/workspaces/${team.workspaceId}/runs/${run.body.id}`,
            )
          ).body.status,
        { timeout: 15_000 },
      )
      .toBe('succeeded');

    const { context, page, errors } = await as(team.member);
    await page.goto(`/w/${team.workspaceId}/workflows`);
    await page.getByTestId('nav-tasks').click();
    await page.getByTestId('work-items-page').waitFor();
    await expect.poll(() => page.getByTestId('work-item-title').allTextContents()).toContain('Call Acme');
    const row = page.getByTestId('work-item-row').filter({ hasText: 'Call Acme' });
    expect(await row.textContent()).toContain('ae@example.com');
    expect(await row.textContent()).toMatch(/high/i);
    await screenshot(page, 'more-08-tasks-light');
    await page.getByTestId('theme-toggle').click();
    await screenshot(page, 'more-09-tasks-dark');
    await page.getByTestId('theme-toggle').click();
    // Filters: nothing is done yet; tickets are a tab of their own.
    await page.getByTestId('work-items-status').selectOption('done');
    await expect.poll(() => page.getByTestId('work-item-row').count()).toBe(0);
    await page.getByTestId('work-items-status').selectOption('');
    await expect.poll(() => page.getByTestId('work-item-row').count()).toBe(1);
    await page.getByTestId('work-items-tab-ticket').click();
    await expect.poll(() => page.getByTestId('work-items-page').textContent()).toContain('No tickets yet');

    // Completions in the editor come from what the last run recorded.
    await page.goto(`/w/${team.workspaceId}/workflows/${id}`);
    await page.getByTestId('node-task').click();
    const title = page.getByTestId('input-title');
    const listId = await title.getAttribute('list');
    await expect
      .poll(() =>
        page
          .locator(`datalist[id="${listId}"] option`)
          .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
      )
      .toEqual(
        expect.arrayContaining(['{{ input.customer }}', '{{ input.seats }}', '{{ trigger.customer }}']),
      );

    // Change the title, then compare the published version with the draft, field by field.
    await title.fill('Email {{ input.customer }}');
    await waitSaved(page);
    await page.getByTestId('open-versions').click();
    await page.getByTestId('version-compare').click();
    const change = page.getByTestId('diff-field-task-config.title');
    await change.waitFor();
    expect(await change.textContent()).toBe(
      'config.title: "Call {{ input.customer }}" → "Email {{ input.customer }}"',
    );
    await screenshot(page, 'more-10-version-diff');

    // Roll back (after a confirmation): the draft has the published title again.
    await page.getByTestId('version-restore').click();
    await page.getByTestId('version-restore-confirm').click();
    await page.getByTestId('versions-dialog').waitFor({ state: 'detached' });
    await page.getByTestId('node-task').click();
    await expect.poll(() => page.getByTestId('input-title').inputValue()).toBe('Call {{ input.customer }}');
    await waitSaved(page);
    const saved = await team.owner.client.get<{ draft: { nodes: Array<{ id: string; config: object }> } }>(
      `${workflows()}/${id}`,
    );
    expect(saved.body.draft.nodes.find((n) => n.id === 'task')?.config).toMatchObject({
      title: 'Call {{ input.customer }}',
    });
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });
});
