import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './helpers/api.js';
import { startApi, type TestApi } from './helpers/api.js';
import { launchBrowser, newPerson, screenshot } from './helpers/browser.js';
import { startOpenAiStandIn, type OpenAiStandIn } from './helpers/openai-standin.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

/** Team & settings → AI and the run viewer's AI facts, in a real browser against the real server. */
describe('AI settings and AI steps (browser)', () => {
  let server: TestApi;
  let browser: Browser;
  let standIn: OpenAiStandIn;
  const password = 'correct Horse battery 9';

  beforeAll(async () => {
    [server, browser, standIn] = await Promise.all([
      startApi({ engine: true }),
      launchBrowser(),
      startOpenAiStandIn(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await standIn?.close();
    await server?.close();
  });

  async function signUp(page: Page, email: string): Promise<string> {
    await page.goto('/signup');
    await page.getByTestId('auth-name').fill('Ada Admin');
    await page.getByTestId('auth-email').fill(email);
    await page.getByTestId('auth-password').fill(password);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('workflows-page').waitFor();
    return /\/w\/([^/]+)/.exec(page.url())?.[1] ?? '';
  }

  async function runLeadIntake(
    client: ApiClient,
    workspaceId: string,
  ): Promise<{ runId: string; workflowId: string }> {
    const base = `/api/v1/workspaces/${workspaceId}`;
    const created = await client.post<Body>(`${base}/workflows`, {
      schemaVersion: 1,
      name: 'AI lead intake',
      nodes: [
        { id: 'hook', type: 'trigger.webhook', config: { path: 'ai-lead', responseMode: 'respondNode' } },
        {
          id: 'extract',
          type: 'ai.extract',
          config: {
            text: '{{ input.body.message }}',
            fields: [
              { name: 'name', type: 'string' },
              { name: 'email', type: 'email' },
              { name: 'seats', type: 'integer' },
            ],
          },
        },
        { id: 'reply', type: 'webhook.respond', config: { body: '{{ nodes.extract.output.data }}' } },
      ],
      edges: [
        { from: 'hook', to: 'extract' },
        { from: 'extract', to: 'reply' },
      ],
      settings: {},
    });
    expect(created.status, created.text).toBe(201);
    expect((await client.post(`${base}/workflows/${created.body.id}/publish`, {})).status).toBe(201);
    expect((await client.post(`${base}/workflows/${created.body.id}/activate`)).status).toBe(200);
    const hook = await fetch(`${server.baseUrl}/hooks/${workspaceId}/ai-lead`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: "I'm Sarah Connor, we need 25 seats. sarah@acme.io" }),
    });
    expect(hook.status).toBe(200);
    const runs = await client.get<Body>(`${base}/runs?workflowId=${created.body.id}`);
    return { runId: runs.body.items[0].id as string, workflowId: created.body.id as string };
  }

  it('shows the provider and usage, switches to an OpenAI-compatible endpoint, and shows AI facts on a step', async () => {
    const { context, page, errors } = await newPerson(browser, server.baseUrl);
    const email = `ada-${Date.now()}@example.com`;
    const workspaceId = await signUp(page, email);
    const client = server.client();
    expect((await client.login(email, password)).status).toBe(200);
    const { runId, workflowId } = await runLeadIntake(client, workspaceId);

    await page.getByTestId('nav-team').click();
    const section = page.getByTestId('ai-settings');
    await section.waitFor();
    await expect
      .poll(() => page.getByTestId('ai-current-provider').textContent())
      .toBe('Local (offline) · local-wink-1');
    expect(await page.getByTestId('ai-source').textContent()).toContain('built-in default');
    expect(await page.getByTestId('ai-usage-generations').textContent()).toBe('1 / 5,000');
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, 'ai-01-settings-local');

    // openai-compatible with no endpoint anywhere: the server says what is missing.
    await page.getByTestId('ai-provider').selectOption('openai-compatible');
    await page.getByTestId('ai-save').click();
    await expect
      .poll(() => page.getByTestId('ai-settings-error').textContent())
      .toContain('needs an OpenAI-compatible credential');

    // A new credential from the section's own menu.
    await page.getByTestId('ai-credential').selectOption('__new');
    await page.getByTestId('credential-name').fill('Team LLM');
    await page.getByTestId('credential-baseUrl').fill(standIn.baseUrl);
    await page.getByTestId('credential-apiKey').fill('sk-browser-key-1234');
    await page.getByTestId('credential-model').fill('gpt-test');
    await page.getByTestId('credential-save').click();
    await expect
      .poll(() => page.getByTestId('ai-credential').locator('option:checked').textContent())
      .toBe('Team LLM');
    await page.getByTestId('ai-model').fill('gpt-test-mini');
    await page.getByTestId('ai-save').click();
    await expect
      .poll(() => page.getByTestId('ai-current-provider').textContent())
      .toBe('OpenAI-compatible · gpt-test-mini');
    expect(await page.getByTestId('ai-source').textContent()).toContain('Set for this workspace');
    await screenshot(page, 'ai-02-settings-endpoint');

    // The run viewer: provider, model, tokens and latency of the AI step.
    await page.goto(`/w/${workspaceId}/runs/${runId}`);
    await page.getByTestId('run-page').waitFor();
    await page.getByTestId('node-extract').click();
    await page.getByTestId('ai-step-facts').waitFor();
    expect(await page.getByTestId('ai-step-provider').textContent()).toBe('local');
    expect(await page.getByTestId('ai-step-model').textContent()).toBe('local-wink-1');
    expect(await page.getByTestId('ai-step-tokens').textContent()).toMatch(/^\d+ \(\d+ in · \d+ out\)$/);
    expect(await page.getByTestId('ai-step-latency').textContent()).toMatch(/\d+ ms/);
    await screenshot(page, 'ai-03-run-step');

    // The node's form in the editor: provider choice, credential, fields.
    await page.goto(`/w/${workspaceId}/workflows/${workflowId}`);
    await page.getByTestId('editor').waitFor();
    await page.getByTestId('node-extract').click();
    await page.getByTestId('node-panel').waitFor();
    expect(await page.getByTestId('node-panel').textContent()).toContain('AI: extract data');
    await screenshot(page, 'ai-06-extract-form');

    // Phone width and dark mode.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`/w/${workspaceId}/team`);
    await page.getByTestId('ai-settings').scrollIntoViewIfNeeded();
    await expect
      .poll(() => page.getByTestId('ai-current-provider').textContent())
      .toContain('OpenAI-compatible');
    await screenshot(page, 'ai-04-settings-390-dark');
    await page.goto(`/w/${workspaceId}/runs/${runId}`);
    await page.getByTestId('run-page').waitFor();
    // At phone width the node may sit outside the canvas pane's visible box: click it directly.
    await page.getByTestId('node-extract').dispatchEvent('click');
    await page.getByTestId('ai-step-facts').scrollIntoViewIfNeeded();
    await screenshot(page, 'ai-05-run-step-390-dark');

    expect(errors.filter((error) => !/Failed to load resource/.test(error))).toEqual([]);
    await context.close();
  });
});
