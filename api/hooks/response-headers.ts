import type { RequestHandler } from 'express';

/**
 * Webhook answers are served from the app's own origin, where a logged-in user's session
 * cookie lives. The sandbox CSP gives any document an opaque origin with no script, so an HTML
 * answer a workflow wrote cannot read or use the session (DESIGN §6); nosniff stops a browser
 * from guessing HTML out of another type.
 */
export const HOOK_CONTENT_SECURITY_POLICY =
  "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; frame-ancestors 'none'";

export function hookResponseHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', HOOK_CONTENT_SECURITY_POLICY);
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };
}
