import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../api/hooks/signature.js';
import { startApi, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';

/** Counts what a real SMTP server on 127.0.0.1 accepted, per recipient, with each Message-ID. */
class SmtpSink {
  readonly to: string[] = [];
  readonly messageIds = new Map<string, string[]>();
  port = 0;
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream: SMTPServerDataStream, session, callback) => {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 8192) head += chunk.toString('utf8');
      });
      stream.on('end', () => {
        const id = /^message-id:\s*(\S+)/im.exec(head)?.[1] ?? '';
        for (const { address } of session.envelope.rcptTo) {
          this.to.push(address);
          this.messageIds.set(address, [...(this.messageIds.get(address) ?? []), id]);
        }
        callback();
      });
    },
  });
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const CSV = [
  'Email,Full Name,Company,Job Title,Time zone,Industry',
  'ada@acme.example,Ada Lovelace,Acme,VP Sales,Europe/London,SaaS',
  'grace@globex.example,Grace Hopper,Globex,Director of Ops,America/New_York,Fintech',
  'linus@initech.example,Linus T,Initech,Engineer,Europe/Helsinki,Retail',
  'not-an-email,Broken Row,Nowhere,,,',
].join('\n');

describe('Outbound pages (browser)', () => {
  let server: TestApi;
  let browser: Browser;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = new SmtpSink();
    await smtp.start();
    process.env.SMTP_URL = `smtp://127.0.0.1:${smtp.port}`;
    process.env.REVFLOW_OUTBOUND_FROM = 'Sales <sales@revflow.example>';
    [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
    delete process.env.SMTP_URL;
    delete process.env.REVFLOW_OUTBOUND_FROM;
  });

  async function signUp(page: Page): Promise<string> {
    await page.goto('/signup');
    await page.getByTestId('auth-name').fill('Rae Ops');
    await page.getByTestId('auth-email').fill(`rae-${Date.now()}@example.com`);
    await page.getByTestId('auth-password').fill('correct Horse battery 9');
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('workflows-page').waitFor();
    return /\/w\/([^/]+)/.exec(page.url())?.[1] ?? '';
  }

  it('imports a CSV, builds a campaign from the template, enrols, records a reply and shows the variant and score move', async () => {
    const { page, errors } = await newPerson(browser, server.baseUrl);
    const workspaceId = await signUp(page);

    // Import: paste, preview with the suggested mapping and the bad row named, import.
    await page.getByTestId('nav-outbound').click();
    await page.getByTestId('outbound-page').waitFor();
    await page.getByTestId('outbound-import-open').click();
    await page.getByTestId('import-text').fill(CSV);
    await page.getByTestId('import-preview').click();
    await page.getByTestId('import-mapping').waitFor();
    expect(await page.getByTestId('map-Email').inputValue()).toBe('email');
    expect(await page.getByTestId('map-Industry').inputValue()).toBe('attributes.Industry');
    expect(await page.getByTestId('import-errors').textContent()).toContain(
      '"not-an-email" is not an email address',
    );
    await screenshot(page, 'outbound-01-import-preview');
    await page.getByTestId('import-submit').click();
    await expect.poll(() => page.getByTestId('import-result').textContent()).toContain('3 created');
    await page.getByTestId('import-done').click();
    await page.getByTestId('leads-table').waitFor();
    expect(await page.getByTestId('leads-table').locator('tbody tr').count()).toBe(3);

    // A campaign from the "Outbound sequence" template (three variants), published and activated on the canvas.
    await page.getByTestId('outbound-tab-campaigns').click();
    await page.getByTestId('campaign-new').click();
    await page.waitForURL(/\/workflows\/[0-9a-f-]+$/);
    const workflowId = /\/workflows\/([0-9a-f-]+)$/.exec(page.url())![1]!;
    await page.getByTestId('publish').click();
    await page.getByTestId('publish-confirm').click();
    await page.getByTestId('toggle-active').click();
    await expect.poll(() => page.getByTestId('toggle-active').textContent()).toBe('Deactivate');

    // Enrol every lead from the Leads table.
    await page.goto(`/w/${workspaceId}/outbound/leads`);
    await page.getByTestId('leads-select-all').check();
    await page.getByTestId('enroll-campaign').selectOption(workflowId);
    await page.getByTestId('enroll-submit').click();
    await expect.poll(() => smtp.to.length, { timeout: 20_000 }).toBe(3);

    // The inbound webhook, as an admin finds it under Outbound → Inbound webhook.
    await page.getByTestId('outbound-tab-settings').click();
    const inboundUrl = new URL((await page.getByTestId('inbound-url').textContent())!);
    await page.getByTestId('inbound-secret-toggle').click();
    const secret = (await page.getByTestId('inbound-secret').textContent())!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    await screenshot(page, 'outbound-02-inbound-webhook');

    // Ada's page: her score and its factors before her reply.
    await page.getByTestId('outbound-tab-leads').click();
    await page.getByTestId('leads-search').fill('ada@');
    await page.getByTestId('lead-row-ada@acme.example').click();
    await page.getByTestId('lead-detail').waitFor();
    await expect
      .poll(() => page.getByTestId('lead-timeline').textContent(), { timeout: 10_000 })
      .toContain('Email sent');
    expect(await page.getByTestId('lead-enrollment').textContent()).toContain('active');
    const scoreBefore = await page.getByTestId('lead-detail-score').textContent();
    expect(await page.getByTestId('score-factors').locator('li').count()).toBeGreaterThan(0);

    // Her reply reaches the signed inbound webhook from the mail provider, threaded under the send.
    const [sent] = smtp.messageIds.get('ada@acme.example') ?? [];
    expect(sent).toMatch(/^<.+>$/);
    const reply = JSON.stringify({
      id: 'provider-evt-1',
      type: 'reply',
      from: 'Ada Lovelace <ada@acme.example>',
      inReplyTo: sent,
      subject: 'Re: your note',
      text: "Sounds great — let's book a call on Thursday.\n\nOn Mon, Sales wrote:\n> Hi Ada",
    });
    const delivered = await fetch(`${server.baseUrl}${inboundUrl.pathname}${inboundUrl.search}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'revflow-signature': signPayload(secret, reply) },
      body: reply,
    });
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toMatchObject({ matched: true, classification: 'positive' });
    await page.reload();
    await page.getByTestId('lead-detail').waitFor();
    await expect
      .poll(() => page.getByTestId('lead-status').textContent(), { timeout: 10_000 })
      .toBe('replied');
    await expect.poll(() => page.getByTestId('lead-timeline').textContent()).toContain('Replied');
    // The sequence stopped for her: the enrolment is over, and no follow-up went out.
    await expect.poll(() => page.getByTestId('lead-enrollment').textContent()).toMatch(/stopped.*replied/);
    expect(smtp.messageIds.get('ada@acme.example')).toHaveLength(1);
    const scoreAfter = await page.getByTestId('lead-detail-score').textContent();
    expect(Number(scoreAfter)).toBeGreaterThan(Number(scoreBefore));
    await screenshot(page, 'outbound-02-lead');

    // The campaign: three sends, one reply on the variant Ada got, its posterior share above a third.
    await page.getByTestId('outbound-tab-campaigns').click();
    await page.getByTestId('campaign-row-Outbound sequence').click();
    await page.getByTestId('variants-table').waitFor();
    const rows = page.getByTestId('variants-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const replied = page
      .getByTestId('variants-table')
      .locator('tbody tr', { has: page.locator('[data-testid="variant-replies"]', { hasText: '1' }) });
    expect(await replied.count()).toBe(1);
    const share = Number((await replied.getByTestId('variant-share').textContent())!.replace('%', ''));
    expect(share).toBeGreaterThan(34);
    expect(await page.getByTestId('campaign-funnel').textContent()).toContain(
      'first: 3 sent · 1 replied (1 positive)',
    );
    await screenshot(page, 'outbound-03-campaign');

    // Phone width, dark mode; the suppression list.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await screenshot(page, 'outbound-04-campaign-narrow-dark');
    await page.getByTestId('outbound-tab-suppression').click();
    await page.getByTestId('suppress-email').fill('nobody@example.com');
    await page.getByTestId('suppress-submit').click();
    await expect
      .poll(() => page.getByTestId('suppression-table').textContent())
      .toContain('nobody@example.com');
    await page.getByTestId('outbound-tab-leads').click();
    await page.getByTestId('leads-table').waitFor();
    await screenshot(page, 'outbound-05-leads-narrow-dark');
    // The one refused request is GET /me before sign-up (401); no page errors.
    expect(errors.filter((error) => !/Failed to load resource: .* 401/.test(error))).toEqual([]);
  }, 120_000);
});
