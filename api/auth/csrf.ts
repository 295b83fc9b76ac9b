import type { Request, RequestHandler } from 'express';
import { ProblemError } from '../http/problem.js';
import type { HttpSettings } from '../http/settings.js';
import { sessionToken } from './session-cookie.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'X-Revflow-CSRF';

/**
 * CSRF defence for cookie sessions (SameSite=Lax is the first layer). An unsafe request
 * (POST/PUT/PATCH/DELETE) that carries the session cookie must show it comes from Revflow's
 * own pages, by ANY of:
 *   1. `X-Revflow-CSRF: 1` — a custom header, which a cross-site page cannot add without a
 *      CORS preflight that only REVFLOW_CORS_ORIGINS pass (what the canvas and scripts send);
 *   2. `Sec-Fetch-Site: same-origin` — set by the browser itself, not forgeable by pages;
 *   3. an `Origin` equal to this server's own origin, REVFLOW_PUBLIC_URL's, or an allowed CORS origin.
 * Requests with an `Authorization` header are exempt: they are judged by that header alone
 * (see resolver.ts), and browsers never attach it on their own. Requests without the cookie
 * carry no ambient credential, so there is nothing to forge.
 */
export function csrfGuard(settings: HttpSettings): RequestHandler {
  const trusted = new Set([new URL(settings.publicUrl).origin, ...settings.corsOrigins]);
  const trustedOrigin = (req: Request, origin: string): boolean =>
    trusted.has(origin) || origin === `${req.protocol}://${req.get('host') ?? ''}`;

  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method) || req.get('authorization') !== undefined || !sessionToken(req)) {
      next();
      return;
    }
    const origin = req.get('origin');
    const ok =
      req.get(CSRF_HEADER) === '1' ||
      req.get('sec-fetch-site') === 'same-origin' ||
      (origin !== undefined && trustedOrigin(req, origin));
    if (ok) {
      next();
      return;
    }
    next(
      new ProblemError(
        403,
        'Forbidden',
        `Cross-site request refused: send the header ${CSRF_HEADER}: 1 with cookie-authenticated requests`,
        { type: 'https://revflow.dev/problems/csrf' },
      ),
    );
  };
}
