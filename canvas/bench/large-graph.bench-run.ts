import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { startApi, type TestApi } from '../../tests/helpers/api.js';
import { ARTIFACTS, launchBrowser, newPerson } from '../../tests/helpers/browser.js';
import type { Browser, Page } from 'playwright-core';

/** Issue 4's figures: a 500-node, 600-edge workflow — open time and fps while dragging and panning. */
let server: TestApi;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startApi({ engine: true }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function bigDocument(nodes: number, edges: number) {
  const list = [{ id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } }];
  for (let i = 1; i < nodes; i += 1) {
    list.push({
      id: `n${i}`,
      type: 'data.set',
      config: {},
      position: { x: Math.floor(i / 25) * 280, y: (i % 25) * 110 },
    } as never);
  }
  const edgeList: Array<{ from: string; to: string }> = [];
  for (let i = 1; i < nodes; i += 1) edgeList.push({ from: i <= 25 ? 'start' : `n${i - 25}`, to: `n${i}` });
  let k = 1;
  while (edgeList.length < edges) {
    const from = k;
    const to = k + 26;
    if (to < nodes) edgeList.push({ from: `n${from}`, to: `n${to}` });
    k += 1;
  }
  return { schemaVersion: 1, name: 'Large', nodes: list, edges: edgeList };
}

async function fps(page: Page, action: () => Promise<void>): Promise<number> {
  await page.evaluate(() => {
    const w = window as unknown as { frames_: number; stop_: boolean };
    w.frames_ = 0;
    w.stop_ = false;
    const tick = (): void => {
      if (w.stop_) return;
      w.frames_ += 1;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const start = Date.now();
  await action();
  const seconds = (Date.now() - start) / 1000;
  const frames = await page.evaluate(() => {
    const w = window as unknown as { frames_: number; stop_: boolean };
    w.stop_ = true;
    return w.frames_;
  });
  return frames / seconds;
}

it('500 nodes, 600 edges', async () => {
  const client = server.client();
  const account = await client.signup();
  const created = await client.post<{ id: string }>(
    `/api/v1/workspaces/${account.workspaceId}/workflows`,
    bigDocument(500, 600),
  );
  const { context, page } = await newPerson(browser, server.baseUrl);
  await context.addCookies([{ name: 'revflow_session', value: client.sessionCookie!, url: server.baseUrl }]);
  await page.goto('/'); // warm the static files and the session
  await page.getByTestId('workflows-page').waitFor();
  const t0 = Date.now();
  await page.goto(`/w/${account.workspaceId}/workflows/${created.body.id}`);
  await page.locator('.react-flow__node').first().waitFor();
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
  const openMs = Date.now() - t0;
  const timings = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/'))
      .map(
        (e) =>
          `${e.name.replace(location.origin, '')} ${Math.round(e.duration)}ms @${Math.round(e.startTime)}`,
      ),
  );
  console.log(timings.join('\n'));

  const node = await page.locator('.react-flow__node').nth(3).boundingBox();
  const drag = await fps(page, async () => {
    await page.mouse.move(node!.x + 40, node!.y + 15);
    await page.mouse.down();
    for (let i = 0; i < 60; i += 1)
      await page.mouse.move(node!.x + 40 + i * 3, node!.y + 15 + i, { steps: 1 });
    await page.mouse.up();
  });
  const canvas = await page.getByTestId('canvas').boundingBox();
  const pan = await fps(page, async () => {
    await page.mouse.move(canvas!.x + canvas!.width / 2, canvas!.y + 20);
    await page.mouse.down();
    for (let i = 0; i < 60; i += 1)
      await page.mouse.move(canvas!.x + canvas!.width / 2 - i * 5, canvas!.y + 20 + i * 2, { steps: 1 });
    await page.mouse.up();
  });
  const report = `open until interactive: ${openMs} ms\ndrag fps: ${drag.toFixed(1)}\npan fps: ${pan.toFixed(1)}\n`;
  await writeFile(join(ARTIFACTS, 'canvas-bench.txt'), report);
  console.log(report);
  await context.close();
});
