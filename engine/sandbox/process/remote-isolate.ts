import type { CallSpec, PooledIsolate } from '../pooled.js';
import { IsolateLost } from '../pooled.js';
import { SandboxError, type SandboxErrorKind } from '../types.js';
import { NotDelivered, ProcessDied, type SandboxProcess } from './process-link.js';

/** Room for creating an isolate and bootstrapping its realm (about 10 ms when warm). */
const CREATE_TIMEOUT_MS = 10_000;

/**
 * A warm isolate inside the sandbox process. Every method is one request over the link; the
 * isolate dies with its process, which only ever fails the one call that was running in it.
 */
export class RemoteIsolate implements PooledIsolate {
  openSessions = 0;
  readonly serial: number;
  private readonly generation: number;
  private dead = false;

  constructor(
    private readonly link: SandboxProcess,
    readonly workspaceId: string,
    readonly memoryMb: number,
    compileCacheSize: number,
  ) {
    const answer = this.send(['create', workspaceId, String(memoryMb), String(compileCacheSize)], CREATE_TIMEOUT_MS);
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
    try {
      this.link.request(['drop', String(this.serial), String(runKey)], 1_000);
    } catch {
      // The process went away meanwhile: nothing is left to drop.
    }
  }

  dispose(): void {
    if (!this.alive) return;
    this.dead = true;
    try {
      this.link.request(['dispose', String(this.serial)], 1_000);
    } catch {
      // Gone with its process.
    }
  }

  private call(op: 'eval' | 'run', call: CallSpec, head: string[]): string {
    if (!this.alive) throw new IsolateLost();
    const { push } = call;
    return this.send(
      [
        op,
        String(this.serial),
        String(call.timeoutMs),
        String(call.maxResultChars),
        String(call.runKey),
        push.header,
        String(push.inputBlob),
        ...head,
        ...push.texts,
      ],
      call.timeoutMs,
    );
  }

  private send(parts: string[], timeoutMs: number): string {
    let answer: string[];
    try {
      answer = this.link.request(parts, timeoutMs);
    } catch (error) {
      if (error instanceof NotDelivered) throw new IsolateLost();
      if (error instanceof ProcessDied) {
        this.dead = true;
        // Nothing but a V8 heap OOM (an abort() isolated-vm cannot turn into an error) or the
        // hang watchdog ends the process while it runs a call: either way this call did it.
        throw new SandboxError(
          'memory',
          `Script exceeded the sandbox memory limit of ${this.memoryMb} MB (or stopped responding); ` +
            'its sandbox process was stopped and replaced, nothing else was affected',
        );
      }
      throw error;
    }
    const [status, value = '', alive] = answer;
    if (alive === '0') this.dead = true;
    if (status === 'v' || status === 'n') return value;
    if (status === 'e') {
      const record = JSON.parse(value) as { kind: SandboxErrorKind; message: string; line?: number };
      throw new SandboxError(record.kind, record.message, record.line ?? undefined);
    }
    if (status === 'x') throw new Error(value);
    throw new Error(`sandbox: unexpected answer ${String(status)}`);
  }
}
