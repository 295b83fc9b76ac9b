/**
 * Issue 4's canvas figures, shared by `npm run bench -- canvas` (bench/canvas.bench.ts):
 * a generated 500-node, 600-edge workflow — time to open until interactive, and frames per
 * second while dragging a node and while panning, in headless Chromium.
 */
import type { BrowserContext, Page } from 'playwright-core';

export interface LargeDocument {
  schemaVersion: 1;
  name: string;
  nodes: Array<{
    id: string;
    type: string;
    config: Record<string, never>;
    position: { x: number; y: number };
  }>;
  edges: Array<{ from: string; to: string }>;
}

/** A manual trigger fanning out into 25 rows of data.set nodes, with cross links up to `edges`. */
export function bigDocument(nodes = 500, edges = 600): LargeDocument {
  const list: LargeDocument['nodes'] = [
    { id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
  ];
  for (let i = 1; i < nodes; i += 1) {
    list.push({
      id: `n${i}`,
      type: 'data.set',
      config: {},
      position: { x: Math.floor(i / 25) * 280, y: (i % 25) * 110 },
    });
  }
  const edgeList: LargeDocument['edges'] = [];
  for (let i = 1; i < nodes; i += 1) edgeList.push({ from: i <= 25 ? 'start' : `n${i - 25}`, to: `n${i}` });
  for (let k = 1; edgeList.length < edges && k + 26 < nodes; k += 1)
    edgeList.push({ from: `n${k}`, to: `n${k + 26}` });
  return { schemaVersion: 1, name: 'Large', nodes: list, edges: edgeList };
}

/** Frames the page painted per second while `action` ran. */
export async function framesPerSecond(page: Page, action: () => Promise<void>): Promise<number> {
  // A string, not a function: tsx's transform would wrap named functions in a helper the
  // page does not have.
  await page.evaluate(`(() => {
    window.benchFrames = 0;
    window.benchStop = false;
    const tick = () => {
      if (window.benchStop) return;
      window.benchFrames += 1;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  const start = performance.now();
  await action();
  const seconds = (performance.now() - start) / 1000;
  const frames = await page.evaluate(() => {
    const w = window as unknown as { benchFrames: number; benchStop: boolean };
    w.benchStop = true;
    return w.benchFrames;
  });
  return frames / seconds;
}

/**
 * Navigates to the editor of `path` and waits until it is interactive: nodes drawn, and two
 * more frames painted (so React has committed and the browser has laid the canvas out).
 */
export async function openEditor(page: Page, path: string): Promise<number> {
  const t0 = performance.now();
  await page.goto(path);
  await page.locator('.react-flow__node').first().waitFor();
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
  return performance.now() - t0;
}

export interface LargeGraphFigures {
  /** Each open, in ms (the first one includes the browser's cold caches). */
  openMs: number[];
  dragFps: number;
  panFps: number;
}

/**
 * Opens the editor `opens` times in `context` (which must hold a session), then drags a node
 * and pans the canvas with real pointer events, 60 moves each.
 */
export async function measureLargeGraph(
  context: BrowserContext,
  editorPath: string,
  opens = 3,
  /** Where to save a screenshot after the pan (to look at the graph as drawn). */
  screenshotPath?: string,
): Promise<LargeGraphFigures> {
  const page = await context.newPage();
  await page.goto('/'); // warm the static files and the session
  await page.getByTestId('workflows-page').waitFor();
  const openMs: number[] = [];
  for (let i = 0; i < opens; i += 1) {
    if (i > 0) {
      await page.goto('/');
      await page.getByTestId('workflows-page').waitFor();
    }
    openMs.push(await openEditor(page, editorPath));
  }

  const node = await page.locator('.react-flow__node').nth(3).boundingBox();
  if (!node) throw new Error('no node on screen to drag');
  const dragFps = await framesPerSecond(page, async () => {
    await page.mouse.move(node.x + 40, node.y + 15);
    await page.mouse.down();
    for (let i = 0; i < 60; i += 1) await page.mouse.move(node.x + 40 + i * 3, node.y + 15 + i);
    await page.mouse.up();
  });
  const canvas = await page.getByTestId('canvas').boundingBox();
  if (!canvas) throw new Error('the canvas is not on screen');
  const panFps = await framesPerSecond(page, async () => {
    await page.mouse.move(canvas.x + canvas.width / 2, canvas.y + 20);
    await page.mouse.down();
    for (let i = 0; i < 60; i += 1)
      await page.mouse.move(canvas.x + canvas.width / 2 - i * 5, canvas.y + 20 + i * 2);
    await page.mouse.up();
  });
  if (screenshotPath) await page.screenshot({ path: screenshotPath });
  await page.close();
  return { openMs, dragFps, panFps };
}
