import type { RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';

// A caller's id is kept only when it is short and plain: it ends up in logs.
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * `X-Request-Id` in (kept when sane, made otherwise) and out. It becomes `req.id` (typed by
 * pino-http), which every log line of the request carries.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}
