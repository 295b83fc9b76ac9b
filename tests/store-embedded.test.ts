import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../api/db/database.js';
import { createWorkspace, getWorkspace } from '../api/workspaces/repository.js';

/** The embedded default of DESIGN §2: a PostgreSQL of our own under the data directory. */

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'revflow-embedded-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

// `env: {}`: embedded even when the test run itself uses DATABASE_URL.
const open = () => openDatabase({ dataDir, env: {} });

async function postmasterPid(): Promise<number> {
  return Number.parseInt(
    (await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]!,
    10,
  );
}

/** Running, not merely an unreaped zombie (nobody may reap an orphan in a container). */
async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat !== undefined) return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded PostgreSQL', () => {
  it('keeps data across stop and start, also after a crash left a stale postmaster.pid', async () => {
    const first = await open();
    expect(first.embedded).toBe(true);
    const workspace = await createWorkspace(first.knex, { name: 'Survivor' });
    await first.stop();

    // A pid file whose process is gone, as a power cut leaves it.
    await writeFile(path.join(dataDir, 'pg', 'postmaster.pid'), `999999\n${path.join(dataDir, 'pg')}\n`);
    const second = await open();
    try {
      expect((await getWorkspace(second.knex, workspace.id))?.name).toBe('Survivor');
      const tables = await second.knex('knex_migrations').count<{ count: string }[]>('* as count');
      expect(Number(tables[0]?.count)).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
  });

  it('stops the PostgreSQL orphaned by a SIGKILLed process and starts again', async () => {
    const database = fileURLToPath(new URL('../api/db/database.ts', import.meta.url));
    const script = `
      const { openDatabase } = await import(${JSON.stringify(database)});
      await openDatabase({ dataDir: ${JSON.stringify(dataDir)}, env: {} });
      console.log('ready');
      setInterval(() => {}, 60_000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, DATABASE_URL: '' },
    });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
    const orphan = await postmasterPid();
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await isAlive(orphan)).toBe(true);

    const db = await open();
    try {
      expect(await postmasterPid()).not.toBe(orphan);
      expect(await isAlive(orphan)).toBe(false);
      expect((await db.knex.raw<{ rows: unknown[] }>('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    } finally {
      await db.stop();
    }
  });
});
