import type { CookieOptions, Request, Response } from 'express';
import type { HttpSettings } from '../http/settings.js';

export const SESSION_COOKIE = 'revflow_session';

/**
 * httpOnly (no script reads it), SameSite=Lax (not sent on cross-site subrequests), Secure
 * whenever the request came over https or Revflow's public URL is https — behind a TLS proxy,
 * set REVFLOW_TRUST_PROXY so `req.secure` is right.
 */
function cookieOptions(req: Request, settings: HttpSettings): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure || settings.publicUrl.startsWith('https://'),
    path: '/',
  };
}

export function setSessionCookie(
  req: Request,
  res: Response,
  settings: HttpSettings,
  token: string,
  expiresAt: Date,
): void {
  res.cookie(SESSION_COOKIE, token, { ...cookieOptions(req, settings), expires: expiresAt });
}

export function clearSessionCookie(req: Request, res: Response, settings: HttpSettings): void {
  res.clearCookie(SESSION_COOKIE, cookieOptions(req, settings));
}

/** The raw session token of a request (cookie-parser fills `req.cookies` under /api). */
export function sessionToken(req: Request): string | undefined {
  const cookies = req.cookies as Record<string, unknown> | undefined;
  const token = cookies?.[SESSION_COOKIE];
  return typeof token === 'string' && token !== '' ? token : undefined;
}
