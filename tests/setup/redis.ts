import { spawn, type ChildProcess } from 'node:child_process';
import { findFreePort } from '../../api/db/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Redis for queue-mode tests: REDIS_URL's, or a redis-server the global setup started. */
    redisUrl: string;
  }
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

export const REDIS_SERVER = process.env.REVFLOW_REDIS_SERVER ?? '/usr/bin/redis-server';

/**
 * A throwaway redis-server on 127.0.0.1 and a free port, persisting nothing. Resolves once it
 * accepts connections.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await findFreePort();
  const child = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  try {
    await waitUntilListening(child, port);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not start: ${(error as Error).message}\n${output}`, { cause: error });
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopProcess(child),
  };
}

async function waitUntilListening(child: ChildProcess, port: number): Promise<void> {
  const { createConnection } = await import('node:net');
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (answered) return;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
