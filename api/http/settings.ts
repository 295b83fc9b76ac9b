import { z } from 'zod';
import { ConfigError } from '../config.js';

/**
 * Settings of the HTTP layer, from `REVFLOW_*` variables (DESIGN §2). `createApp` takes them
 * already parsed so tests can change one (say, a rate limit) without touching the environment.
 */
export interface RateLimitSettings {
  /** Window of every auth rate limit, in ms. */
  windowMs: number;
  /** Sign-ups (and invitation accepts that create an account) per client IP and window. */
  signupPerIp: number;
  /** Login attempts per client IP and window, successful or not. */
  loginPerIp: number;
  /** Failed logins per email (and per email from one address) before each attempt must wait. */
  loginFailuresPerEmail: number;
  /** The first wait after those free failures, in ms; it doubles with every further failure. */
  loginDelayMs: number;
}

export interface HttpSettings {
  /** Origins (scheme://host[:port]) allowed to call the API from a browser; empty = same origin only. */
  corsOrigins: string[];
  /** Largest JSON body, in the `bytes` package's notation (`1mb`, `200kb`). */
  bodyLimit: string;
  /** Where people reach Revflow; used for invitation links and to decide `Secure` cookies. */
  publicUrl: string;
  /** Express `trust proxy`: set it when a proxy terminates TLS, so `req.ip`/`req.secure` are right. */
  trustProxy: boolean | number | string;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  sessionTtlMs: number;
  rateLimits: RateLimitSettings;
  /**
   * Mail to account owners (someone signed up with their address): SMTP_URL and the sender,
   * REVFLOW_MAIL_FROM. Undefined without SMTP_URL: nothing is sent.
   */
  accountMail?: { smtpUrl: string; from: string };
}

const DAY_MS = 24 * 60 * 60 * 1000;

const envSchema = z.object({
  REVFLOW_CORS_ORIGINS: z.string().optional(),
  REVFLOW_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)?$/i, 'a size such as 1mb, 512kb or 10000')
    .default('1mb'),
  REVFLOW_PUBLIC_URL: z.url().default('http://localhost:3000'),
  REVFLOW_TRUST_PROXY: z.string().optional(),
  REVFLOW_METRICS_TOKEN: z.string().min(16).optional(),
  REVFLOW_SESSION_TTL_DAYS: z.coerce.number().positive().max(365).default(30),
  REVFLOW_RATE_LIMIT_WINDOW_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60 * 1000),
  REVFLOW_SIGNUP_RATE_LIMIT: z.coerce.number().int().positive().default(10),
  REVFLOW_LOGIN_RATE_LIMIT: z.coerce.number().int().positive().default(50),
  REVFLOW_LOGIN_FAILURES_PER_EMAIL: z.coerce.number().int().positive().default(5),
  SMTP_URL: z.string().optional(),
  REVFLOW_MAIL_FROM: z.string().max(320).optional(),
  REVFLOW_LOGIN_DELAY_MS: z.coerce.number().int().min(1).max(600_000).default(1_000),
});

function parseOrigins(list: string | undefined): string[] {
  if (!list) return [];
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      try {
        return new URL(entry).origin;
      } catch {
        throw new ConfigError(
          `REVFLOW_CORS_ORIGINS: "${entry}" is not an origin such as https://app.example.com`,
        );
      }
    });
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // "loopback", a subnet list, ... as Express understands it
}

export function httpSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): HttpSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new ConfigError(`Bad configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    corsOrigins: parseOrigins(e.REVFLOW_CORS_ORIGINS),
    bodyLimit: e.REVFLOW_BODY_LIMIT,
    publicUrl: e.REVFLOW_PUBLIC_URL.replace(/\/+$/, ''),
    trustProxy: parseTrustProxy(e.REVFLOW_TRUST_PROXY),
    metricsToken: e.REVFLOW_METRICS_TOKEN,
    sessionTtlMs: e.REVFLOW_SESSION_TTL_DAYS * DAY_MS,
    ...(e.SMTP_URL
      ? {
          accountMail: {
            smtpUrl: e.SMTP_URL,
            from: e.REVFLOW_MAIL_FROM ?? `Revflow <no-reply@${new URL(e.REVFLOW_PUBLIC_URL).hostname}>`,
          },
        }
      : {}),
    rateLimits: {
      windowMs: e.REVFLOW_RATE_LIMIT_WINDOW_MS,
      signupPerIp: e.REVFLOW_SIGNUP_RATE_LIMIT,
      loginPerIp: e.REVFLOW_LOGIN_RATE_LIMIT,
      loginFailuresPerEmail: e.REVFLOW_LOGIN_FAILURES_PER_EMAIL,
      loginDelayMs: e.REVFLOW_LOGIN_DELAY_MS,
    },
  };
}
