/** Time from starting `npm start`'s process to "ready", with a cold and then a warm data dir. */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Figure } from './stats.js';

const main = fileURLToPath(new URL('../api/main.ts', import.meta.url));

function startOnce(dataDir: string): Promise<number> {
  const started = performance.now();
  // The embedded defaults: no DATABASE_URL or REDIS_URL at all (an empty one is not a URL).
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REVFLOW_DATA_DIR: dataDir,
    PORT: '0',
    REVFLOW_LOG_LEVEL: 'info',
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', main], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('server did not become ready in 120 s'));
    }, 120_000);
    lines.on('line', (line) => {
      if (!line.includes('Revflow is ready')) return;
      const elapsed = performance.now() - started;
      ready = true;
      clearTimeout(timer);
      child.once('exit', () => resolve(elapsed));
      child.kill('SIGTERM');
    });
    child.once('error', reject);
    let ready = false;
    child.once('exit', (code) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before it was ready`));
    });
  });
}

export async function benchStartup(): Promise<Figure[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'revflow-start-'));
  // Postgres runs as the `postgres` user and must be able to pass through (mkdtemp makes 0700).
  await chmod(dataDir, 0o711);
  try {
    const cold = await startOnce(dataDir);
    const warm: number[] = [];
    for (let i = 0; i < 3; i += 1) warm.push(await startOnce(dataDir));
    return [
      { name: 'npm start to ready, empty .data/ (initdb)', value: cold, unit: 'ms' },
      { name: 'npm start to ready, warm .data/ (best of 3)', value: Math.min(...warm), unit: 'ms' },
    ];
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
