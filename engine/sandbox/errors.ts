import { SandboxError, type SandboxErrorKind } from './types.js';

/** An error as realm/runtime.js encodes it: `!` followed by this record as JSON. */
interface EncodedError {
  kind: SandboxErrorKind;
  message: string;
  line?: number;
  /** Which expression of an evaluate() call failed; -1 for code. */
  index: number;
}

export const ERROR_MARK = '!';

export function decodeError(text: string): SandboxError {
  const record = JSON.parse(text.slice(ERROR_MARK.length)) as EncodedError;
  return new SandboxError(record.kind, record.message, record.line);
}

export interface CrossingContext {
  timeoutMs: number;
  memoryMb: number;
  isolateDisposed: boolean;
}

/**
 * An error thrown by isolated-vm itself while crossing into the isolate: a timeout, the
 * isolate dying of its memory limit, or (rarely) the runtime failing in a way it could not
 * encode, e.g. a stack overflow inside its own error handling.
 */
export function crossingError(error: unknown, context: CrossingContext): SandboxError {
  const message = error instanceof Error ? error.message : String(error);
  if (context.isolateDisposed || /memory limit|disposed/i.test(message)) {
    return new SandboxError('memory', `Script exceeded the sandbox memory limit of ${context.memoryMb} MB`);
  }
  if (/timed out/i.test(message)) {
    return new SandboxError('timeout', `Script execution timed out after ${context.timeoutMs}ms`);
  }
  // E.g. a rejection nobody handled, which isolated-vm reports after the call (as Node would).
  const name = error instanceof Error ? error.name : 'Error';
  return new SandboxError('runtime', name === 'Error' ? message : `${name}: ${message}`, userLineIn(error));
}

/** The line in the user's text from a stack copied out of the isolate (see compile.ts). */
function userLineIn(error: unknown): number | undefined {
  const stack = error instanceof Error ? error.stack : undefined;
  const match = stack === undefined ? null : /\b(?:code|expr)-\d+\.js:(\d+):\d+/.exec(stack);
  return match?.[1] === undefined ? undefined : Math.max(1, Number(match[1]) - 1);
}
