/**
 * Process helpers for the benches that run Revflow as production does: the server and workers
 * each in their own process (`npm start`, `npm run worker`), memory read from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Recent output lines, for error messages. */
  logs: string[];
  exited: Promise<number | null>;
  /** SIGTERM (graceful: a --cpu-prof profile is written on exit), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Where and how a Revflow process starts: default this tree, from its TypeScript via tsx.
 * Benches that compare two builds (A/B in one invocation) pass another tree or entry.
 */
export interface RevflowLaunch {
  /** A copy of the repository to run (default this one). */
  root?: string;
  /** Node arguments that start the server, default serverEntry(root). */
  entry?: string[];
}

const built = new Set<string>();

/**
 * How `npm start` runs the server: the compiled JavaScript of bin/build-server.mjs (built once
 * per tree and bench process). REVFLOW_BENCH_TSX=1, or a tree without that script, runs the
 * TypeScript through tsx instead.
 */
export function serverEntry(root: string = repoRoot): string[] {
  const tsx = ['--import', 'tsx', 'api/main.ts'];
  if (process.env.REVFLOW_BENCH_TSX === '1' || !existsSync(path.join(root, 'bin', 'build-server.mjs')))
    return tsx;
  if (!built.has(root)) {
    execFileSync(process.execPath, ['bin/build-server.mjs'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    built.add(root);
  }
  return ['dist/api/main.js'];
}

/** The server (`npm start`, see serverEntry) with `args` and `env` over this process's. */
export function spawnRevflow(
  name: string,
  args: string[],
  env: Record<string, string>,
  nodeFlags: string[] = [],
  launch: RevflowLaunch = {},
): Proc {
  // An empty value removes the variable (an empty DATABASE_URL is not a URL).
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(merged)) if (value === '') delete merged[key];
  const child = spawn(
    process.execPath,
    ['--no-node-snapshot', ...nodeFlags, ...(launch.entry ?? serverEntry(launch.root)), ...args],
    {
      cwd: launch.root ?? repoRoot,
      env: merged,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  const remember = (line: string): void => {
    logs.push(line);
    if (logs.length > 100) logs.shift();
  };
  createInterface({ input: child.stdout }).on('line', remember);
  createInterface({ input: child.stderr }).on('line', remember);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    pid: child.pid!,
    child,
    logs,
    exited,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolve once a line of the process's output matches, or fail after `timeoutMs`. */
export function waitForLine(
  proc: Proc,
  match: (line: string) => boolean,
  timeoutMs = 120_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (proc.logs.some(match)) return resolve();
    const timer = setTimeout(
      () => reject(new Error(`${proc.name} not ready in ${timeoutMs} ms:\n${proc.logs.join('\n')}`)),
      timeoutMs,
    );
    const check = (line: string): void => {
      if (!match(line)) return;
      clearTimeout(timer);
      resolve();
    };
    createInterface({ input: proc.child.stdout! }).on('line', check);
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${proc.name} exited with ${code}:\n${proc.logs.join('\n')}`));
    });
  });
}

/** Poll `url` until it answers 2xx. */
export async function waitForHttp(url: string, proc: Proc, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null)
      throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${proc.logs.join('\n')}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer in ${timeoutMs} ms:\n${proc.logs.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A field of /proc/<pid>/status in MB (VmRSS, VmHWM), or NaN when the process is gone. */
export function procStatusMb(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples the summed VmRSS of `pids` every `everyMs`; `peak()` is the highest sum seen. */
export function rssSampler(pids: () => number[], everyMs = 100): { peak(): number; stop(): number } {
  let peak = 0;
  const sample = (): void => {
    const sum = pids().reduce((total, pid) => total + (procStatusMb(pid, 'VmRSS') || 0), 0);
    if (sum > peak) peak = sum;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export const loadAverage = (): string =>
  os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat; 0 when it is gone. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Pids of the live descendants of `root` whose command name is `comm` (e.g. postgres). */
export function descendants(root: number, comm?: string): number[] {
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      name.set(Number(entry), stat.slice(open + 1, close));
      parent.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    for (let up = parent.get(pid); up !== undefined && up > 1; up = parent.get(up)) {
      if (up === root) {
        if (comm === undefined || name.get(pid) === comm) out.push(pid);
        break;
      }
    }
  }
  return out;
}

/** Summed CPU ms of `pids`. */
export const cpuMsOf = (pids: number[]): number => pids.reduce((total, pid) => total + procCpuMs(pid), 0);
