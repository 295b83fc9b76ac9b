import type { StepError } from './store.js';
import { SandboxError } from './sandbox/types.js';

/** An error a node throws to fail its step with a code and, optionally, the config field at fault. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly code: string = 'node_error',
    readonly field?: string,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** Thrown when a run is aborted: cancelled or past its deadline. */
export class RunAborted extends Error {
  constructor(readonly reason: 'cancelled' | 'timed_out') {
    super(reason === 'cancelled' ? 'The run was cancelled' : 'The run timed out');
    this.name = 'RunAborted';
  }
}

export class StepTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`The step timed out after ${timeoutMs} ms`);
    this.name = 'StepTimeout';
  }
}

/** Turn anything thrown into the error a step records: message, code, line, field. */
export function toStepError(error: unknown): StepError {
  if (error instanceof SandboxError) {
    const code = error.kind === 'timeout' ? 'timeout' : `sandbox_${error.kind}`;
    return error.line === undefined
      ? { message: error.message, code }
      : { message: error.message, code, line: error.line };
  }
  if (error instanceof StepFailure) {
    return error.field === undefined
      ? { message: error.message, code: error.code }
      : { message: error.message, code: error.code, field: error.field };
  }
  if (error instanceof DomainError) {
    return error.field === undefined
      ? { message: error.message, code: error.code }
      : { message: error.message, code: error.code, field: error.field };
  }
  if (error instanceof StepTimeout) return { message: error.message, code: 'timeout' };
  if (error instanceof RunAborted) return { message: error.message, code: error.reason };
  if (error instanceof Error) return { message: error.message || error.name, code: 'node_error' };
  return { message: String(error), code: 'node_error' };
}

/** An Error for anything thrown: promises are rejected with Errors only. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * What kind of failure a domain error is. Only `api/http` turns a kind into an HTTP status;
 * nodes turn any domain error into a failed step with its code and field.
 */
export type DomainErrorKind =
  | 'invalid' // bad input: names the field
  | 'unauthenticated'
  | 'forbidden' // a role or plan rule refuses it
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'quota' // a plan limit is reached (payment required)
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'; // a service the deployment lacks or that is down

/**
 * The one error domain code throws (DESIGN §1): a machine-readable `code`, a message a user can
 * act on and, for bad input, the `field` at fault. `details` carries extra machine-readable facts
 * (the limit and plan of a quota, the path a policy refused) that the problem+json shows.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalidInput = (field: string, message: string, code = 'invalid'): DomainError =>
  new DomainError('invalid', code, message, field);
export const notFoundError = (what: string, code = 'not_found'): DomainError =>
  new DomainError('not_found', code, `${what} does not exist`);
export const forbiddenError = (message: string, code = 'forbidden'): DomainError =>
  new DomainError('forbidden', code, message);
export const conflictError = (
  message: string,
  code = 'conflict',
  details: Record<string, unknown> = {},
): DomainError => new DomainError('conflict', code, message, undefined, details);
