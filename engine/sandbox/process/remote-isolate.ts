import type { CallSpec, PooledIsolate } from '../pooled.js';
import { IsolateLost } from '../pooled.js';
import { SandboxError, type SandboxErrorKind } from '../types.js';
import { NotDelivered, ProcessDied, type SandboxProcess } from './process-link.js';

/** Room for creating an isolate and bootstrapping its realm (about 10 ms when warm). */
const CREATE_TIMEOUT_MS = 10_000;
/**
 * A run's scope is dropped with the isolate's next call rather than in a crossing of its own
 * (one crossing per code step instead of two); when no call comes, after this long, or once
 * this many are waiting.
 */
const DROP_DELAY_MS = 50;
const MAX_PENDING_DROPS = 256;

/**
 * A warm isolate inside the sandbox process. Every method is one request over the link; the
 * isolate dies with its process, which only ever fails the one call that was running in it.
 */
export class RemoteIsolate implements PooledIsolate {
  openSessions = 0;
  readonly serial: number;
  private readonly generation: number;
  private dead = false;
  private pendingDrops: number[] = [];
  private dropTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: SandboxProcess,
    readonly workspaceId: string,
    readonly memoryMb: number,
    compileCacheSize: number,
  ) {
    const answer = this.send(
      ['create', workspaceId, String(memoryMb), String(compileCacheSize)],
      CREATE_TIMEOUT_MS,
    );
    this.serial = Number(answer);
    this.generation = link.generation;
  }

  get alive(): boolean {
    return !this.dead && this.link.generation === this.generation;
  }

  evaluate(sources: readonly string[], call: CallSpec): string {
    // [..., count, ...sources, ...push texts]: the host reads `count` sources first.
    return this.call('eval', call, [String(sources.length), ...sources]);
  }

  runCode(source: string, call: CallSpec): string {
    return this.call('run', call, [source]);
  }

  dropRun(runKey: number): void {
    if (!this.alive) return;
    this.pendingDrops.push(runKey);
    if (this.pendingDrops.length >= MAX_PENDING_DROPS) this.flushDrops();
    else this.dropTimer ??= setTimeout(() => this.flushDrops(), DROP_DELAY_MS).unref();
  }

  /** The run keys to drop before the next call, as one field ('' when none). */
  private takeDrops(): string {
    if (this.dropTimer !== undefined) clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
    if (this.pendingDrops.length === 0) return '';
    const keys = this.pendingDrops.join(',');
    this.pendingDrops = [];
    return keys;
  }

  private flushDrops(): void {
    const keys = this.takeDrops();
    if (keys === '' || !this.alive) return;
    try {
      this.link.request(['drop', String(this.serial), keys], 1_000);
    } catch {
      // The process went away meanwhile: nothing is left to drop.
    }
  }

  dispose(): void {
    if (!this.alive) return;
    this.takeDrops();
    this.dead = true;
    try {
      this.link.request(['dispose', String(this.serial)], 1_000);
    } catch {
      // Gone with its process.
    }
  }

  /**
   * The code step, its answer awaited (the host's event loop goes on meanwhile). `settled`
   * runs synchronously as soon as the answer is taken, with the error if the call failed: the
   * session resets what it pushed before any other call is prepared.
   */
  runCodeAsync(source: string, call: CallSpec, settled: (error?: unknown) => void): Promise<string> {
    let parts: string[];
    try {
      if (!this.alive) throw new IsolateLost();
      parts = this.partsFor('run', call, [source]);
    } catch (error) {
      settled(error);
      return Promise.reject(error);
    }
    return this.link.requestAsync(parts, call.timeoutMs).then(
      (answer) => {
        try {
          const value = this.interpret(answer);
          settled();
          return value;
        } catch (error) {
          settled(error);
          throw error;
        }
      },
      (error: unknown) => {
        const mapped = this.mapFailure(error);
        settled(mapped);
        throw mapped;
      },
    );
  }

  /** Wait until every request sent to the process is answered (before a synchronous call). */
  settleAll(): void {
    this.link.settleAll();
  }

  private partsFor(op: 'eval' | 'run', call: CallSpec, head: string[]): string[] {
    const { push } = call;
    return [
      op,
      String(this.serial),
      this.takeDrops(),
      String(call.timeoutMs),
      String(call.maxResultChars),
      String(call.runKey),
      push.header,
      String(push.inputBlob),
      ...head,
      ...push.texts,
    ];
  }

  private call(op: 'eval' | 'run', call: CallSpec, head: string[]): string {
    if (!this.alive) throw new IsolateLost();
    return this.send(this.partsFor(op, call, head), call.timeoutMs);
  }

  private send(parts: string[], timeoutMs: number): string {
    let answer: string[];
    try {
      answer = this.link.request(parts, timeoutMs);
    } catch (error) {
      throw this.mapFailure(error);
    }
    return this.interpret(answer);
  }

  private mapFailure(error: unknown): unknown {
    if (error instanceof NotDelivered) return new IsolateLost();
    if (error instanceof ProcessDied) {
      this.dead = true;
      // Nothing but a V8 heap OOM (an abort() isolated-vm cannot turn into an error) or the
      // hang watchdog ends the process while it runs a call: either way this call did it.
      return new SandboxError(
        'memory',
        `Script exceeded the sandbox memory limit of ${this.memoryMb} MB (or stopped responding); ` +
          'its sandbox process was stopped and replaced, nothing else was affected',
      );
    }
    return error;
  }

  private interpret(answer: string[]): string {
    const [status, value = '', alive] = answer;
    if (alive === '0') this.dead = true;
    if (status === 'v' || status === 'n') return value;
    if (status === 'g') {
      // The isolate died (memory) after this call was sent, by an earlier call: nothing ran.
      this.dead = true;
      throw new IsolateLost();
    }
    if (status === 'e') {
      const record = JSON.parse(value) as { kind: SandboxErrorKind; message: string; line?: number };
      throw new SandboxError(record.kind, record.message, record.line ?? undefined);
    }
    if (status === 'x') throw new Error(value);
    throw new Error(`sandbox: unexpected answer ${String(status)}`);
  }
}
