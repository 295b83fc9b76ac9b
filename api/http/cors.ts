import type { RequestHandler } from 'express';

const ALLOWED_HEADERS = 'Content-Type, Authorization, X-Revflow-CSRF, X-Request-Id, Idempotency-Key';
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';

/**
 * CORS for the origins in `REVFLOW_CORS_ORIGINS` only; with none configured the API is
 * same-origin (the canvas is served by this server). Allowed origins may send credentials,
 * so the list must name exact origins — there is deliberately no `*`.
 */
export function cors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (!origin || !allowed.has(origin)) {
      // Not ours to allow: answer a preflight without CORS headers and the browser refuses.
      if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
        res.status(204).end();
        return;
      }
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, RateLimit, RateLimit-Policy');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
