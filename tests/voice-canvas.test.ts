import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/** The Calls page in a real browser: upload a WebVTT file, accept the items, find the tasks. */
describe('Calls page (browser)', () => {
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

  it('a member uploads a VTT, sees owners, dates and the transcript, accepts two items and finds the tasks', async () => {
    const { page, context, errors } = await newPerson(browser, server.baseUrl);
    await context.addCookies([
      { name: 'revflow_session', value: team.member.client.sessionCookie!, url: server.baseUrl },
    ]);
    await page.goto(`/w/${team.workspaceId}/calls`);
    await page.getByTestId('call-upload').waitFor();
    const vtt = [
      'WEBVTT',
      '',
      '00:00:01.000 --> 00:00:05.000',
      "<v Maria Lopez>Thanks for joining. Let's get started.",
      '',
      '00:00:06.000 --> 00:00:12.000',
      "<v Tom Becker>I'll send the revised pricing sheet by Friday.",
      '',
      '00:01:13.000 --> 00:01:20.000',
      '<v Maria Lopez>Priya, can you set up the security review next week?',
      '',
      '00:01:21.000 --> 00:01:24.000',
      '<v Priya Shah>Sure, will do.',
      '',
      '00:01:25.000 --> 00:01:30.000',
      '<v Maria Lopez>We should also think about <b>onboarding</b> <script>alert(1)</script> later.',
      '',
    ].join('\n');
    await page
      .getByTestId('call-file')
      .setInputFiles({ name: 'acme-pricing.vtt', mimeType: 'text/vtt', buffer: Buffer.from(vtt) });
    await page.getByTestId('call-started').fill('2026-03-04T15:00');
    await page.getByTestId('call-participants').fill('Maria Lopez, Tom Becker, Priya Shah');
    await page.getByTestId('call-upload-submit').click();
    await page.getByTestId('call-items').waitFor();
    const items = page.getByTestId('call-item');
    await expect.poll(() => items.count()).toBe(3);
    expect(await items.nth(0).getByTestId('item-owner-name').textContent()).toBe('Tom Becker');
    expect(await items.nth(0).getByTestId('item-due').textContent()).toMatch(/due 2026-03-0[56]/);
    expect(await items.nth(1).getByTestId('item-owner-name').textContent()).toBe('Priya Shah');
    expect(await page.getByTestId('call-transcript').textContent()).toContain('01:13');
    await screenshot(page, 'voice-01-call-review');

    await items.nth(0).getByTestId('item-accept').click();
    await expect.poll(() => items.nth(0).getAttribute('data-status')).toBe('accepted');
    await items.nth(1).getByTestId('item-accept').click();
    await expect.poll(() => items.nth(1).getAttribute('data-status')).toBe('accepted');
    await items.nth(2).getByTestId('item-drop').click();
    await expect.poll(() => items.nth(2).getAttribute('data-status')).toBe('dropped');
    await page.getByTestId('call-create-tasks').click();
    await expect.poll(() => page.getByTestId('item-task-link').count()).toBe(2);
    await screenshot(page, 'voice-02-tasks-created');

    await page.getByTestId('item-task-link').first().click();
    await page.waitForURL(`**/w/${team.workspaceId}/tasks`);
    await page.getByText('Send the revised pricing sheet by Friday', { exact: true }).first().waitFor();
    await page.getByText('Set up the security review next week', { exact: true }).first().waitFor();
    await screenshot(page, 'voice-03-tasks');
    expect(errors).toEqual([]);
  });

  it('a bad file gets the line named on the page, and a workspace below Enterprise sees the upgrade', async () => {
    const { page, context } = await newPerson(browser, server.baseUrl);
    await context.addCookies([
      { name: 'revflow_session', value: team.member.client.sessionCookie!, url: server.baseUrl },
    ]);
    await page.goto(`/w/${team.workspaceId}/calls`);
    await page.getByTestId('call-file').setInputFiles({
      name: 'bad.vtt',
      mimeType: 'text/vtt',
      buffer: Buffer.from('WEBVTT\n\nnot a timing\nhello\n'),
    });
    await page.getByTestId('call-upload-submit').click();
    await expect.poll(() => page.getByTestId('call-upload-error').textContent()).toMatch(/line 4/);
    await page
      .getByTestId('call-file')
      .setInputFiles({ name: 'call.wav', mimeType: 'audio/wav', buffer: Buffer.alloc(100) });
    await page.getByTestId('call-upload-submit').click();
    await expect.poll(() => page.getByTestId('call-upload-error').textContent()).toMatch(/speech provider/);

    const other = await createTeam(server);
    const second = await newPerson(browser, server.baseUrl);
    await second.context.addCookies([
      { name: 'revflow_session', value: other.member.client.sessionCookie!, url: server.baseUrl },
    ]);
    await second.page.goto(`/w/${other.workspaceId}/calls`);
    await second.page.getByTestId('calls-upgrade').waitFor();
  });
});
