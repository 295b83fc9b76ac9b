import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import { DomainError, type DomainErrorKind } from '../../engine/errors.js';

/** One wrong field of a request, as problem+json reports it. */
export interface InvalidParam {
  /** Where: `body.email`, `query.limit`, `params.workflowId`, or a document path. */
  name: string;
  reason: string;
}

/**
 * An RFC 9457 problem. Throw it from a handler; the error handler writes it as
 * `application/problem+json`. Nothing else about the error (no stack) leaves the server.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { type?: string; invalidParams?: InvalidParam[]; [key: string]: unknown } = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }
}

export const badRequest = (detail: string, invalidParams?: InvalidParam[]): ProblemError =>
  new ProblemError(400, 'Bad request', detail, invalidParams ? { invalidParams } : {});
export const unauthorized = (detail = 'Log in or send an API key'): ProblemError =>
  new ProblemError(401, 'Unauthorized', detail);
export const forbidden = (detail: string): ProblemError => new ProblemError(403, 'Forbidden', detail);
export const notFound = (what: string): ProblemError =>
  new ProblemError(404, 'Not found', `${what} does not exist`);
export const conflict = (detail: string, extra: Record<string, unknown> = {}): ProblemError =>
  new ProblemError(409, 'Conflict', detail, extra);
/** 410: the thing existed but is no longer usable; `reason` says why in one machine-readable word. */
export const gone = (reason: string, detail: string): ProblemError =>
  new ProblemError(410, 'Gone', detail, { type: 'https://revflow.dev/problems/gone', reason });
export const tooManyRequests = (detail: string): ProblemError =>
  new ProblemError(429, 'Too many requests', detail, { type: 'https://revflow.dev/problems/rate-limited' });

/** A 400 for one field the zod schema could not judge alone (e.g. a password that contains the email). */
export function invalidField(name: string, reason: string): ProblemError {
  return new ProblemError(400, 'Validation failed', `${name}: ${reason}`, {
    type: 'https://revflow.dev/problems/validation',
    invalidParams: [{ name, reason }],
  });
}

/** zod issues → a 400 naming every wrong field, prefixed with where it was (`body`, `query`, ...). */
export function validationProblem(location: string, error: z.ZodError): ProblemError {
  const invalidParams = error.issues.map((issue) => ({
    name: [location, ...issue.path.map(String)].join('.'),
    reason: issue.message,
  }));
  const first = invalidParams[0];
  return new ProblemError(
    400,
    'Validation failed',
    first ? `${first.name}: ${first.reason}` : `The ${location} is not valid`,
    { type: 'https://revflow.dev/problems/validation', invalidParams },
  );
}

export function sendProblem(res: Response, problem: ProblemError, instance?: string): void {
  const { type, ...extra } = problem.extra;
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: type ?? 'about:blank',
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(instance ? { instance } : {}),
      ...extra,
    });
}

const statusOfKind: Record<DomainErrorKind, [number, string]> = {
  invalid: [400, 'Validation failed'],
  unauthenticated: [401, 'Unauthorized'],
  quota: [402, 'Payment required'],
  forbidden: [403, 'Forbidden'],
  not_found: [404, 'Not found'],
  conflict: [409, 'Conflict'],
  gone: [410, 'Gone'],
  too_large: [413, 'Payload too large'],
  rate_limited: [429, 'Too many requests'],
  unavailable: [503, 'Service unavailable'],
};

/** The one place a domain error becomes an HTTP problem (DESIGN §1). */
export function problemOf(error: DomainError): ProblemError {
  const [status, title] = statusOfKind[error.kind];
  const field = error.field;
  return new ProblemError(status, title, field ? `${field}: ${error.message}` : error.message, {
    type: `https://revflow.dev/problems/${error.code.replace(/_/g, '-')}`,
    code: error.code,
    ...error.details,
    ...(field ? { invalidParams: [{ name: field, reason: error.message }] } : {}),
  });
}

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** The last middleware: every error becomes problem+json; unknown ones are logged and become a 500. */
export function problemHandler(
  log: (error: unknown, req: { id?: unknown; url: string }) => void,
): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof ProblemError) {
      sendProblem(res, error, req.originalUrl);
      return;
    }
    if (error instanceof DomainError) {
      sendProblem(res, problemOf(error), req.originalUrl);
      return;
    }
    // body-parser and friends raise http-errors with a status and a safe message.
    const httpError = error as HttpLikeError;
    const status = httpError.status ?? httpError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const detail =
        httpError.type === 'entity.parse.failed'
          ? 'The body is not valid JSON'
          : httpError.type === 'entity.too.large'
            ? 'The body is too large'
            : httpError.expose
              ? httpError.message
              : undefined;
      sendProblem(
        res,
        new ProblemError(status, status === 413 ? 'Payload too large' : 'Bad request', detail),
        req.originalUrl,
      );
      return;
    }
    log(error, req);
    sendProblem(
      res,
      new ProblemError(500, 'Internal server error', 'Something went wrong on our side'),
      req.originalUrl,
    );
  };
}
