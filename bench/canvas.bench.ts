/**
 * Issue 4's canvas figures: a generated 500-node, 600-edge workflow opened in headless
 * Chromium against the real server (`npm start`'s process, embedded Postgres in a temporary
 * data dir) — time to open until interactive, fps while dragging a node and while panning —
 * and the size of the built JS (gzip). Uses the canvas as built in canvas/dist (`npm run build`).
 *
 * Run alone:  node --no-node-snapshot --import tsx bench/run.ts canvas
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { findFreePort } from '../api/db/ports.js';
import { bigDocument, measureLargeGraph } from '../canvas/bench/large-graph.js';
import { ARTIFACTS, launchBrowser } from '../tests/helpers/browser.js';
import { loadAverage, repoRoot, spawnRevflow, waitForHttp } from './procs.js';
import { median, type Figure } from './stats.js';

const OPENS = Number(process.env.REVFLOW_BENCH_CANVAS_OPENS ?? 5);

/** Sign up and create the large workflow; answers the session cookie and the editor's path. */
async function setUp(baseUrl: string): Promise<{ cookie: string; editorPath: string }> {
  const signup = await fetch(`${baseUrl}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `canvas-bench-${Date.now()}@example.com`,
      password: 'correct Horse battery 9',
      name: 'Bench',
    }),
  });
  if (signup.status !== 201) throw new Error(`signup answered ${signup.status}: ${await signup.text()}`);
  const account = (await signup.json()) as { workspace: { id: string } };
  const session = signup.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith('revflow_session='));
  if (!session) throw new Error('signup set no session cookie');
  const created = await fetch(`${baseUrl}/api/v1/workspaces/${account.workspace.id}/workflows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: session, 'x-revflow-csrf': '1' },
    body: JSON.stringify(bigDocument(500, 600)),
  });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  return {
    cookie: session.slice('revflow_session='.length),
    editorPath: `/w/${account.workspace.id}/workflows/${id}`,
  };
}

async function builtJsGzipBytes(): Promise<number> {
  const assets = path.join(repoRoot, 'canvas', 'dist', 'assets');
  let total = 0;
  for (const file of await readdir(assets)) {
    if (!file.endsWith('.js')) continue;
    total += gzipSync(await readFile(path.join(assets, file)), { level: 9 }).length;
  }
  return total;
}

export async function benchCanvas(): Promise<Figure[]> {
  if (!existsSync(path.join(repoRoot, 'canvas', 'dist', 'index.html')))
    throw new Error('canvas/dist is missing: run `npm run build` first');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'revflow-canvas-'));
  // Postgres runs as the `postgres` user and must be able to pass through (mkdtemp makes 0700).
  await chmod(dataDir, 0o711);
  const port = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = spawnRevflow('api (canvas)', [], {
    REVFLOW_LOG_LEVEL: 'warn',
    REVFLOW_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: '',
    REDIS_URL: '',
  });
  const browser = await launchBrowser();
  try {
    await waitForHttp(`${baseUrl}/readyz`, server);
    const { cookie, editorPath } = await setUp(baseUrl);
    const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(30_000);
    await context.addCookies([{ name: 'revflow_session', value: cookie, url: baseUrl }]);
    const load = loadAverage();
    const figures = await measureLargeGraph(
      context,
      editorPath,
      OPENS,
      path.join(ARTIFACTS, 'canvas-bench-large-graph.png'),
    );
    await context.close();
    const warm = figures.openMs.slice(1);
    return [
      {
        name: '500 nodes / 600 edges: open until interactive, first open',
        value: figures.openMs[0]!,
        unit: 'ms',
        load,
      },
      {
        name: `500 nodes / 600 edges: open until interactive, median of ${warm.length} more`,
        value: median(warm),
        unit: 'ms',
        target: '< 1.5 s',
        load,
      },
      {
        name: '500 nodes / 600 edges: frames per second dragging a node',
        value: figures.dragFps,
        unit: 'fps',
        target: '≥ 50',
        load,
      },
      {
        name: '500 nodes / 600 edges: frames per second panning',
        value: figures.panFps,
        unit: 'fps',
        target: '≥ 50',
        load,
      },
      { name: 'built canvas JS, gzip', value: (await builtJsGzipBytes()) / 1024, unit: 'KiB' },
    ];
  } finally {
    await browser.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
