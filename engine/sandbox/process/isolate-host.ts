/**
 * The sandbox process (see process-link.ts): holds the warm isolates and answers the host's
 * requests one at a time over two FIFOs. Whatever kills it — a V8 heap OOM that isolated-vm
 * cannot turn into an error is an abort() — kills only this process; the host sees the link
 * close, fails the one call that was running, and starts a new process.
 *
 * argv: <request fifo> <answer fifo>. Knows nothing of the host's secrets (its environment is
 * PATH only) and reaches nothing but its two FIFOs.
 */
import { openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { evaluateOn, runCodeOn } from '../calls.js';
import { SandboxError } from '../types.js';
import { WarmIsolate } from '../warm-isolate.js';
import { LinkClosed, readFrame, writeFrame } from './frames.js';

const [requestPath, answerPath] = process.argv.slice(2);
if (requestPath === undefined || answerPath === undefined) {
  process.stderr.write('usage: isolate-host <request fifo> <answer fifo>\n');
  process.exit(2);
}
// The host opened the answer FIFO for reading before it started us, so this open returns at
// once; the request FIFO's open then tells the host we are up.
const answers = openSync(answerPath, 'w');
const requests = openSync(requestPath, 'r');

// Die with the host: while a call runs, this thread is inside the isolate and would notice
// the host's end of the link only when the call ends (up to its CPU limit later).
const hostPid = process.ppid;
new Worker(
  `const { workerData } = require('node:worker_threads');
  setInterval(() => {
    // Reparented (the host is gone, even if its pid lingers as a zombie or was reused): die too.
    if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL');
    try { process.kill(workerData, 0); } catch { process.kill(process.pid, 'SIGKILL'); }
  }, 250);`,
  { eval: true, workerData: hostPid },
).unref();

const isolates = new Map<number, WarmIsolate>();

/** A request for an isolate that died after it was sent (pipelined behind the call that killed it). */
class IsolateGone extends Error {}

function isolate(serial: string | undefined): WarmIsolate {
  const warm = isolates.get(Number(serial));
  if (warm === undefined) throw new IsolateGone('sandbox: this isolate is gone');
  return warm;
}

function aliveFlag(warm: WarmIsolate): string {
  if (warm.alive) return '1';
  isolates.delete(warm.serial);
  return '0';
}

function failure(error: unknown, warm: WarmIsolate | undefined): string[] {
  if (error instanceof IsolateGone) return ['g', error.message, '0'];
  const alive = warm === undefined ? '1' : aliveFlag(warm);
  if (error instanceof SandboxError) {
    return ['e', JSON.stringify({ kind: error.kind, message: error.message, line: error.line }), alive];
  }
  return ['x', error instanceof Error ? error.message : String(error), alive];
}

function answer(parts: string[]): string[] {
  const [op, ...args] = parts;
  let warm: WarmIsolate | undefined;
  try {
    switch (op) {
      case 'create': {
        const [workspaceId, memoryMb, cacheSize] = args;
        warm = new WarmIsolate(workspaceId ?? '', Number(memoryMb), Number(cacheSize));
        isolates.set(warm.serial, warm);
        return ['n', String(warm.serial), '1'];
      }
      case 'eval':
      case 'run': {
        const [serial, drops, timeoutMs, maxResultChars, runKey, header, inputBlob, ...rest] = args;
        warm = isolate(serial);
        // Runs that ended since the last call (remote-isolate.ts sends them along).
        if (drops) for (const key of drops.split(',')) warm.dropRun(Number(key));
        const call = {
          runKey: Number(runKey),
          timeoutMs: Number(timeoutMs),
          maxResultChars: Number(maxResultChars),
          push: { header: header ?? '', inputBlob: Number(inputBlob), texts: [] as string[] },
        };
        let value: string;
        if (op === 'run') {
          call.push.texts = rest.slice(1);
          value = runCodeOn(warm, rest[0] ?? '', call);
        } else {
          const count = Number(rest[0]);
          call.push.texts = rest.slice(1 + count);
          value = evaluateOn(warm, rest.slice(1, 1 + count), call);
        }
        return ['v', value, aliveFlag(warm)];
      }
      case 'drop': {
        const target = isolates.get(Number(args[0]));
        for (const key of (args[1] ?? '').split(',')) if (key) target?.dropRun(Number(key));
        return ['k'];
      }
      case 'dispose': {
        const serial = Number(args[0]);
        isolates.get(serial)?.dispose();
        isolates.delete(serial);
        return ['k'];
      }
      case 'ping':
        return ['k'];
      default:
        return ['x', `sandbox: unknown request ${String(op)}`, '1'];
    }
  } catch (error) {
    return failure(error, warm);
  }
}

for (;;) {
  let request: string[];
  try {
    request = readFrame(requests);
  } catch (error) {
    // The host went away (or broke the link): nothing is left to serve.
    process.exit(error instanceof LinkClosed ? 0 : 1);
  }
  writeFrame(answers, answer(request));
}
