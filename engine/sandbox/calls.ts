import { codeModeOf, maxSourceLength } from './compile.js';
import type { CallSpec, PooledIsolate } from './pooled.js';
import { SandboxError } from './types.js';
import { PENDING, WarmIsolate } from './warm-isolate.js';

/**
 * The two crossings of a session, done next to the isolate: compile (cached per isolate),
 * then call. The sandbox process runs these for the host; InlineIsolate runs them in place.
 */
export function evaluateOn(warm: WarmIsolate, sources: readonly string[], call: CallSpec): string {
  const ids: number[] = [];
  for (const source of sources) {
    checkLength(source, maxSourceLength.expression, 'An expression');
    ids.push(warm.compile('expression', source, call.timeoutMs));
  }
  const { push } = call;
  return warm.call(
    'evaluate',
    [call.runKey, push.header, push.inputBlob, ids.join(','), call.maxResultChars, ...push.texts],
    call.timeoutMs,
  );
}

export function runCodeOn(warm: WarmIsolate, source: string, call: CallSpec): string {
  checkLength(source, maxSourceLength.code, 'The code');
  const id = warm.compile(codeModeOf(source), source, call.timeoutMs);
  const { push } = call;
  const started = performance.now();
  const raw = warm.call(
    'runCode',
    [call.runKey, push.header, push.inputBlob, id, call.maxResultChars, ...push.texts],
    call.timeoutMs,
  );
  if (raw !== PENDING) return raw;
  // The promise settled (or never will) in the microtask checkpoint that ended the call.
  const left = Math.max(1, Math.ceil(call.timeoutMs - (performance.now() - started)));
  return warm.call('collect', [call.runKey, call.maxResultChars], left);
}

function checkLength(source: string, max: number, what: string): void {
  if (source.length > max) throw new SandboxError('syntax', `${what} is longer than ${max} characters`);
}

/** A warm isolate in this very process: no process boundary (tests, benchmarks). */
export class InlineIsolate implements PooledIsolate {
  openSessions = 0;
  private readonly warm: WarmIsolate;

  constructor(workspaceId: string, memoryMb: number, compileCacheSize: number) {
    // In this very process a V8 abort would end the server: give the heap headroom.
    this.warm = new WarmIsolate(workspaceId, memoryMb, compileCacheSize, true);
  }

  get serial(): number {
    return this.warm.serial;
  }
  get workspaceId(): string {
    return this.warm.workspaceId;
  }
  get memoryMb(): number {
    return this.warm.memoryMb;
  }
  get alive(): boolean {
    return this.warm.alive;
  }

  evaluate(sources: readonly string[], call: CallSpec): string {
    return evaluateOn(this.warm, sources, call);
  }
  runCode(source: string, call: CallSpec): string {
    return runCodeOn(this.warm, source, call);
  }
  dropRun(runKey: number): void {
    this.warm.dropRun(runKey);
  }
  dispose(): void {
    this.warm.dispose();
  }
}
