import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AnswerReader, type PendingAnswer } from './answer-reader.js';
import { LinkClosed, writeFrame } from './frames.js';

/** How long a new sandbox process may take to come up before a call gives up on it. */
const CONNECT_TIMEOUT_MS = 30_000;
/** A call answered this much later than its CPU limit has hung natively: its process is killed. */
const HANG_GRACE_MS = 2_000;

/** The sandbox process died while it was running this very request (the request is to blame). */
export class ProcessDied extends Error {
  constructor(readonly exitDescription: string) {
    super(`the sandbox process died (${exitDescription})`);
    this.name = 'ProcessDied';
  }
}

/** The request never reached a process (it died or was replaced before): safe to send again. */
export class NotDelivered extends Error {
  constructor() {
    super('the sandbox process was gone before the request reached it');
    this.name = 'NotDelivered';
  }
}

const hostScript = new URL(
  `./isolate-host${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

/**
 * The watchdog: a small thread that SIGKILLs the sandbox process when a call runs far past
 * its CPU limit (a native loop that never checks for termination would otherwise block the
 * host for good). The host only stores a deadline per call; the thread looks every 250 ms.
 */
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const cell = new BigInt64Array(workerData);
for (;;) {
  const deadline = Atomics.load(cell, 0);
  if (deadline === 0n) { Atomics.wait(cell, 0, 0n, 1000); continue; }
  if (Date.now() > Number(deadline)) {
    try { process.kill(Number(Atomics.load(cell, 1)), 'SIGKILL'); } catch {}
    Atomics.compareExchange(cell, 0, deadline, 0n);
    continue;
  }
  Atomics.wait(cell, 0, deadline, 250);
}`;

/**
 * Sandbox processes still linked. At exit they are killed: Node joins worker threads before it
 * exits, and an answer reader blocked reading a live process's FIFO would hold the exit forever
 * (the process's end closes only when it dies).
 */
const liveChildren = new Set<ChildProcess>();
let killAtExit = false;

function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (killAtExit) return;
  killAtExit = true;
  process.once('exit', () => {
    for (const live of liveChildren) live.kill('SIGKILL');
  });
}

/** One sandbox process and the host's ends of its two FIFOs. */
class Link {
  readonly child: ChildProcess;
  requestFd = -1;
  answerFd = -1;
  connected = false;
  lastExit = 'no exit status';
  /** Takes the answers (owns answerFd once connected: it closes it at the process's end). */
  reader: AnswerReader | undefined;
  private readonly dir: string;
  /** Held open so that the process's open of its answer end returns at once. */
  private pendingAnswerFd: number;
  private closed = false;

  constructor(private readonly onHead: (link: Link, head: PendingAnswer | undefined) => void) {
    this.dir = mkdtempSync(join(tmpdir(), 'revflow-sandbox-'));
    const requestPath = join(this.dir, 'requests');
    const answerPath = join(this.dir, 'answers');
    execFileSync('mkfifo', ['-m', '600', requestPath, answerPath]);
    this.pendingAnswerFd = openSync(answerPath, constants.O_RDONLY | constants.O_NONBLOCK);
    const args = ['--no-node-snapshot'];
    if (hostScript.pathname.endsWith('.ts')) args.push('--import', 'tsx');
    // Only PATH: the process must not see the server's secrets (DATABASE_URL, keys, ...).
    this.child = spawn(process.execPath, [...args, hostScript.pathname, requestPath, answerPath], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.child.once('exit', (code, signal) => {
      this.lastExit = signal === null ? `exit code ${code}` : `signal ${signal}`;
    });
    this.child.unref();
    track(this.child);
    this.pollConnect();
  }

  /** Connect in the background so a call rarely has to wait for the process to come up. */
  private pollConnect(): void {
    const poll = (): void => {
      if (this.closed || this.connected) return;
      if (!this.tryConnect()) setTimeout(poll, 10).unref();
    };
    setTimeout(poll, 10).unref();
  }

  /** Wait (blocking) until the process is up. */
  connect(): void {
    if (this.connected) return;
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!this.tryConnect()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`the sandbox process ended before it was up (${this.lastExit})`);
      if (Date.now() > deadline)
        throw new Error(`the sandbox process did not start within ${CONNECT_TIMEOUT_MS} ms`);
      Atomics.wait(pause, 0, 0, 5);
    }
  }

  /** Opens the host's ends once the process has opened its own; false while it is not up yet. */
  private tryConnect(): boolean {
    if (this.closed) throw new Error('the sandbox process was stopped');
    const requestPath = join(this.dir, 'requests');
    let probe: number;
    try {
      probe = openSync(requestPath, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') return false;
      throw error;
    }
    // A reader exists now, so these blocking opens return at once; the process opened its
    // answer end before its request end.
    this.requestFd = openSync(requestPath, constants.O_WRONLY);
    closeSync(probe);
    this.answerFd = openSync(join(this.dir, 'answers'), constants.O_RDONLY);
    this.reader = new AnswerReader(this.answerFd, (head) => this.onHead(this, head));
    closeSync(this.pendingAnswerFd);
    this.pendingAnswerFd = -1;
    rmSync(this.dir, { recursive: true, force: true });
    this.connected = true;
    return true;
  }

  close(): void {
    this.closed = true;
    // The answer end is the reader thread's: it closes it once the killed process's end is
    // closed (closing it here could hand its number to another file while the thread reads).
    this.reader?.close();
    for (const fd of [this.requestFd, this.reader ? -1 : this.answerFd, this.pendingAnswerFd]) {
      if (fd < 0) continue;
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.requestFd = this.answerFd = this.pendingAnswerFd = -1;
    this.connected = false;
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The host's end of its sandbox process (isolate-host.ts): requests written to one FIFO, in
 * order; answers read on a thread of their own (answer-reader.ts), in the same order. A caller
 * either waits for its answer synchronously (`request`: expressions, creating an isolate) or
 * awaits it (`requestAsync`: code steps), so the event loop goes on while code runs over
 * there. When the process dies, the request it was running fails with ProcessDied, the ones
 * queued behind it with NotDelivered (nothing of theirs ran: sent again), every isolate it
 * held is gone (`generation` moves on), and the next process takes over: after a first death a
 * spare is kept started and connected, so a replacement is instant.
 */
export class SandboxProcess {
  /** Bumped whenever the process is replaced: isolates remember the generation they live in. */
  generation = 1;
  private current: Link;
  private spare: Link | undefined;
  private disposed = false;
  private readonly cell = new BigInt64Array(new SharedArrayBuffer(16));
  private watchdog: Worker | undefined;
  private readonly onHead = (link: Link, head: PendingAnswer | undefined): void => {
    if (link !== this.current) return;
    // The request the process runs now: the watchdog kills it HANG_GRACE_MS past its limit.
    if (head === undefined) {
      Atomics.store(this.cell, 0, 0n);
      return;
    }
    Atomics.store(this.cell, 1, BigInt(link.child.pid ?? 0));
    Atomics.store(this.cell, 0, BigInt(Date.now() + head.timeoutMs + HANG_GRACE_MS));
  };

  constructor() {
    this.current = new Link(this.onHead);
  }

  /** One request and its answer, waited for synchronously. Throws ProcessDied or NotDelivered. */
  request(parts: readonly string[], timeoutMs: number): string[] {
    let outcome: { answer: string[] } | { error: Error } | undefined;
    const { link, pending } = this.send(parts, timeoutMs, (settled) => (outcome = settled));
    link.reader!.waitFor(pending);
    if (outcome === undefined) throw new Error('sandbox: the request was not settled');
    if ('error' in outcome) throw outcome.error;
    return outcome.answer;
  }

  /**
   * One request whose answer is awaited; `settled` runs synchronously when the answer is taken
   * (before the promise's reactions), with the error if it failed. Never throws synchronously.
   */
  requestAsync(parts: readonly string[], timeoutMs: number): Promise<string[]> {
    return new Promise((resolve, reject) => {
      try {
        this.send(parts, timeoutMs, (settled) =>
          'error' in settled ? reject(settled.error) : resolve(settled.answer),
        );
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Block until every request sent so far is answered (a synchronous caller needs them done). */
  settleAll(): void {
    this.current.reader?.settleAll();
  }

  /** The process's pid (tests kill it to prove the host survives). */
  get pid(): number | undefined {
    return this.current.child.pid;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.current.close();
    this.spare?.close();
    void this.watchdog?.terminate();
  }

  private send(
    parts: readonly string[],
    timeoutMs: number,
    done: (settled: { answer: string[] } | { error: Error }) => void,
  ): { link: Link; pending: PendingAnswer } {
    if (this.disposed) throw new Error('The sandbox has been disposed');
    const link = this.current;
    try {
      link.connect();
    } catch (error) {
      this.replace();
      throw error;
    }
    this.watchdog ??= this.startWatchdog();
    try {
      writeFrame(link.requestFd, parts);
    } catch (error) {
      if (!(error instanceof LinkClosed)) throw error;
      this.replace();
      throw new NotDelivered();
    }
    const pending: PendingAnswer = {
      timeoutMs,
      settle: (answer, ran) => {
        if (answer !== undefined) return done({ answer });
        if (link === this.current) this.replace();
        done({
          error: ran
            ? new ProcessDied(link.child.pid === undefined ? link.lastExit : `pid ${link.child.pid}`)
            : new NotDelivered(),
        });
      },
    };
    link.reader!.expect(pending);
    return { link, pending };
  }

  private startWatchdog(): Worker {
    const worker = new Worker(WATCHDOG, { eval: true, workerData: this.cell.buffer });
    worker.unref();
    return worker;
  }

  /** Drop the current process (dead or hung) and take the spare, starting the next spare. */
  private replace(): void {
    this.current.close();
    Atomics.store(this.cell, 0, 0n);
    this.generation += 1;
    if (this.disposed) return;
    this.current = this.spare ?? new Link(this.onHead);
    this.spare = new Link(this.onHead);
  }
}
