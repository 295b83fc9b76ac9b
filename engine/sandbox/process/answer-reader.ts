import { closeSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/**
 * Reads the sandbox process's answers on a thread of its own, so the host's event loop never
 * blocks while a code step runs over there (issue 17: the blocking read was 25–30% of the
 * server's time under load, and the host could do nothing else meanwhile). Answers come back
 * in request order; each is handed to the oldest request still waiting.
 *
 * The thread posts each answer (a frame: a list of strings, frames.ts) to a MessagePort and
 * bumps a shared counter. The event loop takes answers as port messages; a caller that must
 * wait synchronously (an expression, a create) sleeps on the counter with Atomics.wait and
 * takes them with receiveMessageOnPort — in order either way, on the host's one thread.
 * `null` means the process closed its end (it died or was killed).
 */
const READER = `
const { workerData } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { fd, port, counter } = workerData;
const cell = new Int32Array(counter);
const head = Buffer.alloc(4);
function readExact(target, length) {
  let read = 0;
  while (read < length) {
    let n;
    try { n = readSync(fd, target, read, length - read, null); }
    catch (error) { if (error.code === 'EAGAIN') continue; return false; }
    if (n === 0) return false;
    read += n;
  }
  return true;
}
function u32() { return readExact(head, 4) ? head.readUInt32LE(0) : -1; }
function post(message) { port.postMessage(message); Atomics.add(cell, 0, 1); Atomics.notify(cell, 0); }
for (;;) {
  const count = u32();
  if (count < 0 || count > 65536) break;
  const parts = [];
  let ok = true;
  for (let i = 0; i < count && ok; i++) {
    const length = u32();
    if (length < 0) { ok = false; break; }
    if (length === 0) { parts.push(''); continue; }
    const body = Buffer.allocUnsafe(length);
    ok = readExact(body, length);
    if (ok) parts.push(body.toString('utf8'));
  }
  if (!ok) break;
  post(parts);
}
post(null);`;

export interface PendingAnswer {
  /** The request's CPU limit (the watchdog's deadline once it is the one running). */
  readonly timeoutMs: number;
  /**
   * Called once, synchronously, when the answer is taken. `undefined`: the process closed its
   * end first; `ran` says whether this request was the one it was running (the oldest).
   */
  settle(answer: string[] | undefined, ran: boolean): void;
}

export class AnswerReader {
  private readonly thread: Worker;
  private readonly port: MessagePort;
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting: PendingAnswer[] = [];
  private closed = false;

  /**
   * @param onHead called whenever the request at the head changes (the one the process runs
   *   now), with it or undefined when none waits: the watchdog's deadline follows it.
   */
  constructor(
    fd: number,
    private readonly onHead: (head: PendingAnswer | undefined) => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.thread = new Worker(READER, {
      eval: true,
      workerData: { fd, port: port2, counter: this.counter.buffer },
      transferList: [port2],
    });
    this.thread.unref();
    // The fd is closed only once the thread has stopped reading it (at the process's end of the
    // FIFO): closed earlier, its number could go to another file while the thread still reads.
    this.thread.once('exit', () => {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    });
    this.port.on('message', (message: string[] | null) => this.take(message));
    this.port.unref();
  }

  /** Requests sent and not answered yet. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Register a request just written to the process (answers come in this order). */
  expect(request: PendingAnswer): void {
    if (this.closed) {
      request.settle(undefined, false);
      return;
    }
    this.waiting.push(request);
    // A waiting request keeps the event loop alive, as a pending read would.
    if (this.waiting.length === 1) {
      this.port.ref();
      this.onHead(request);
    }
  }

  /** Block this thread until `request` is settled (earlier answers are settled on the way). */
  waitFor(request: PendingAnswer): void {
    while (this.waiting.includes(request)) {
      const seen = Atomics.load(this.counter, 0);
      const message = receiveMessageOnPort(this.port);
      if (message !== undefined) {
        this.take(message.message as string[] | null);
        continue;
      }
      Atomics.wait(this.counter, 0, seen, 250);
    }
  }

  /** Block until every request sent so far is settled. */
  settleAll(): void {
    const last = this.waiting[this.waiting.length - 1];
    if (last !== undefined) this.waitFor(last);
  }

  /** The link is gone: nothing more will be answered (the thread ends at the closed FIFO). */
  close(): void {
    this.closed = true;
    this.port.unref();
  }

  private take(message: string[] | null): void {
    if (message === null) {
      this.closed = true;
      const orphans = this.waiting.splice(0);
      this.port.close();
      this.onHead(undefined);
      orphans.forEach((request, index) => request.settle(undefined, index === 0));
      return;
    }
    const request = this.waiting.shift();
    if (this.waiting.length === 0) this.port.unref();
    this.onHead(this.waiting[0]);
    request?.settle(message, true);
  }
}
