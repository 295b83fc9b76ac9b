import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  pid: number;
  executorId: string;
  /** The worker's recent log lines (pino JSON), for failure messages. */
  logs: string[];
  exited: Promise<number | null>;
  /** False once the process has exited (or was killed). */
  isAlive(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM (graceful), then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface WorkerEnv {
  databaseUrl: string;
  redisUrl: string;
  queueName: string;
  /** Extra environment (REVFLOW_*). */
  env?: Record<string, string>;
}

/**
 * `node api/main.ts --worker` as `npm run worker` starts it, with the test node types
 * (REVFLOW_TEST_NODES=1) and short failure-detection times. Resolves once it logged "worker ready".
 */
export function startWorker(options: WorkerEnv): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--no-node-snapshot', '--import', 'tsx', 'api/main.ts', '--worker'],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        REVFLOW_QUEUE_NAME: options.queueName,
        REVFLOW_TEST_NODES: '1',
        REVFLOW_LOG_LEVEL: 'info',
        REVFLOW_STALE_EXECUTOR_MS: '2000',
        REVFLOW_QUEUE_LOCK_MS: '3000',
        REVFLOW_WORKER_CONCURRENCY: '4',
        REVFLOW_SHUTDOWN_TIMEOUT_MS: '5000',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  const remember = (line: string): void => {
    logs.push(line);
    if (logs.length > 200) logs.shift();
  };
  createInterface({ input: child.stderr! }).on('line', remember);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not get ready:\n${logs.join('\n')}`));
    }, 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      remember(line);
      const entry = parse(line);
      if (entry?.msg === 'worker ready' && typeof entry.executorId === 'string') {
        clearTimeout(timer);
        resolve({
          pid: child.pid!,
          executorId: entry.executorId,
          logs,
          exited,
          isAlive: () => child.exitCode === null && child.signalCode === null,
          kill: (signal) => child.kill(signal),
          stop,
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it was ready:\n${logs.join('\n')}`));
    });
  });
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
