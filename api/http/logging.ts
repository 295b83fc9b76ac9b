import type { RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** Secrets never reach a log line: credentials in headers and any password/token-like field. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  '*.newPassword',
  '*.token',
  '*.key',
  '*.secret',
  '*.apiKey',
];

/** The server's logger when the caller gives none (main.ts passes its own). */
export function createLogger(
  level: pino.LevelWithSilent = 'info',
  destination?: pino.DestinationStream,
): Logger {
  const options = { level, redact: { paths: redactPaths, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

const SECRET_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization']);

function withoutSecrets(headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!headers) return headers;
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      SECRET_HEADERS.has(name.toLowerCase()) ? '[redacted]' : value,
    ]),
  );
}

/** Paths whose segments are secrets (invitation tokens travel in the URL). */
const SECRET_PATH = /(\/invitations\/)(?![0-9a-f]{8}-[0-9a-f]{4}-)[^/?#]+/gi;

/** The URL with any token segment replaced: `/api/v1/invitations/[redacted]/accept`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PATH, '$1[redacted]');
}

// Probes and scrapes every few seconds would drown the useful lines.
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One structured line per request, with its id: method, URL (tokens redacted), status, time.
 * Headers are printed only at debug level (they flooded `npm start`'s terminal at info), and
 * even then cleaned by the serializers as well as by the logger's redact paths, so a logger
 * from elsewhere (without them) leaks nothing.
 */
export function httpLogger(logger: Logger): RequestHandler {
  const verbose = logger.isLevelEnabled('debug');
  return pinoHttp({
    logger,
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.has((req.url ?? '').split('?')[0] ?? '') },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: {
        id?: unknown;
        method?: string;
        url?: string;
        remoteAddress?: string;
        headers?: Record<string, unknown>;
      }) =>
        verbose
          ? { ...req, ...(req.url ? { url: redactUrl(req.url) } : {}), headers: withoutSecrets(req.headers) }
          : {
              id: req.id,
              method: req.method,
              url: req.url ? redactUrl(req.url) : req.url,
              remoteAddress: req.remoteAddress,
            },
      res: (res: { statusCode?: number; headers?: Record<string, unknown> }) =>
        verbose ? { ...res, headers: withoutSecrets(res.headers) } : { statusCode: res.statusCode },
    },
  }) as RequestHandler;
}
