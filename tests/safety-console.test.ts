import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { createTeam, startApi, type Member, type Team, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/** The AI Safety Console in a real browser (1440 and 390 px, light and dark), against the real server. */
describe('AI Safety Console (browser)', () => {
  let server: TestApi;
  let browser: Browser;
  let team: Team;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
    team = await createTeam(server);
    await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'enterprise' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function as(who: Member, options: { width?: number; dark?: boolean } = {}) {
    const person = await newPerson(browser, server.baseUrl);
    await person.context.addCookies([
      { name: 'revflow_session', value: who.client.sessionCookie!, url: server.baseUrl },
    ]);
    if (options.width) await person.page.setViewportSize({ width: options.width, height: 860 });
    if (options.dark) await person.page.emulateMedia({ colorScheme: 'dark' });
    return person;
  }

  async function guardedRun(): Promise<string> {
    const base = `/api/v1/workspaces/${team.workspaceId}/workflows`;
    const created = await team.member.client.post<{ id: string }>(base, {
      schemaVersion: 1,
      name: 'Inbound lead scrub',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'pii', type: 'safety.pii', config: { entities: { ssn: 'block' } } },
      ],
      edges: [{ from: 'start', to: 'pii' }],
    });
    expect((await team.member.client.post(`${base}/${created.body.id}/publish`, {})).status).toBe(201);
    let last = '';
    for (const note of ['Mail me at ana@example.org', 'My SSN: 536-22-8147, card 4111 1111 1111 1111']) {
      const run = await team.member.client.post<{ id: string }>(`${base}/${created.body.id}/runs`, {
        input: { note },
      });
      expect(run.status).toBe(202);
      last = run.body.id;
    }
    return last;
  }

  it('an admin edits the policy, sees stats, violations linking to runs and the audit chain', async () => {
    const runId = await guardedRun();
    const { page, errors } = await as(team.admin);
    await page.goto(`/w/${team.workspaceId}/safety`);
    await page.getByTestId('safety-policy').waitFor();
    await expect.poll(() => page.getByTestId('safety-decision').count()).toBeGreaterThan(0);
    await page.getByTestId('policy-email-safety.pii').check();
    await page.getByTestId('save-policy').click();
    await page.getByText(/Policy saved/).waitFor();
    const saved = await team.member.client.get<{ policy: unknown }>(
      `/api/v1/workspaces/${team.workspaceId}/safety/policy`,
    );
    expect(saved.body.policy).toEqual({ rules: { email: [{ type: 'safety.pii' }] } });
    await expect.poll(() => page.getByTestId('audit-chain').textContent()).toContain('Intact');
    const violation = page.getByTestId('safety-violations').getByRole('link').first();
    expect(await violation.getAttribute('href')).toBe(`/w/${team.workspaceId}/runs/${runId}`);
    expect(await page.getByTestId('safety-violations').textContent()).toContain('ssn');
    expect(await page.getByTestId('safety-page').textContent()).not.toContain('536-22-8147');
    await page.getByTestId('chart-days').locator('svg').first().waitFor();
    await screenshot(page, 'safety-01-console-1440');
    expect(errors).toEqual([]);
  });

  it('the editor shows a publish refused by the policy on the outbound node', async () => {
    const base = `/api/v1/workspaces/${team.workspaceId}/workflows`;
    const created = await team.member.client.post<{ id: string }>(base, {
      schemaVersion: 1,
      name: 'Raw lead mail',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
        {
          id: 'mail',
          type: 'email.send',
          config: { from: 'a@revflow.example', to: 'b@revflow.example', subject: 'Lead', text: 'x' },
          position: { x: 320, y: 0 },
        },
      ],
      edges: [{ from: 'start', to: 'mail' }],
    });
    const { page, errors } = await as(team.member);
    await page.goto(`/w/${team.workspaceId}/workflows/${created.body.id}`);
    await page.getByTestId('publish').click();
    await page.getByTestId('publish-confirm').click();
    await expect.poll(() => page.getByTestId('node-problem-mail').textContent()).toContain('safety.pii');
    expect(await page.getByTestId('node-problem-mail').getAttribute('title')).toContain('start → mail');
    await screenshot(page, 'safety-05-editor-refused');
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('fits a phone in dark mode; a member reads the policy but cannot change it', async () => {
    const { page, errors } = await as(team.member, { width: 390, dark: true });
    await page.goto(`/w/${team.workspaceId}/safety`);
    await page.getByTestId('policy-readonly').waitFor();
    expect(await page.getByTestId('policy-email-safety.pii').isChecked()).toBe(true);
    expect(await page.getByTestId('policy-email-safety.pii').isDisabled()).toBe(true);
    // Nothing of the console sticks out sideways (tables scroll inside their own box).
    const overflow = await page.getByTestId('safety-page').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.getByTestId('safety-log').scrollIntoViewIfNeeded();
    await screenshot(page, 'safety-02b-member-390-dark-log');
    await page.getByTestId('safety-page').evaluate((el) => el.scrollIntoView());
    await screenshot(page, 'safety-02-member-390-dark');
    expect(errors).toEqual([]);
  });

  it('a workspace on a lower plan sees an upgrade message, not a broken page', async () => {
    const { page, errors } = await as(team.outsider, { width: 390 });
    await page.goto(`/w/${team.outsider.account.workspaceId}/safety`);
    await page.getByTestId('safety-upgrade').waitFor();
    expect(await page.getByTestId('safety-upgrade').textContent()).toContain('Enterprise');
    await screenshot(page, 'safety-03-upgrade-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    await screenshot(page, 'safety-04-upgrade-1440');
    expect(errors).toEqual([]);
  });
});
