import type { NodeContext } from '../../engine/node.js';
import { StepFailure } from '../../engine/errors.js';
import { required, secretValues, type CredentialSecret, type ResolvedCredential } from '../services.js';

declare module '../credentials/service.js' {
  interface ResolvedCredential {
    /**
     * Where this credential's secret may be sent (issue 11): `host`, `host:port` or `*.domain`
     * entries. For a credential an admin has not bound yet, the credentials service answers with
     * the workspace's outbound allow-list (also kept by admins) and `hostsSource: 'workspace'`.
     * Missing: the secret goes nowhere.
     */
    allowedHosts?: readonly string[];
    hostsSource?: 'credential' | 'workspace';
  }
}

/** Headers a credential adds to a request, the values to redact, and the header names to protect. */
export interface AppliedAuth {
  headers: Record<string, string>;
  secrets: string[];
  sensitiveHeaders: string[];
}

export const noAuth: AppliedAuth = { headers: {}, secrets: [], sensitiveHeaders: [] };

export function authHeaders(secret: CredentialSecret): Record<string, string> {
  switch (secret.type) {
    case 'apiKey':
      return { [secret.headerName]: secret.key };
    case 'basicAuth':
      return {
        Authorization: `Basic ${Buffer.from(`${secret.username}:${secret.password}`).toString('base64')}`,
      };
    case 'bearer':
      return { Authorization: `Bearer ${secret.token}` };
    case 'header':
      return { [secret.name]: secret.value };
    default:
      throw new StepFailure(
        `A credential of type ${secret.type} cannot authenticate an HTTP request`,
        'config',
        'config.credentialId',
      );
  }
}

/** `Example.COM.` → `example.com`; `[::1]` → `::1`. */
export function normaliseHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.+$/, '');
}

/**
 * Whether `host:port` is one of `patterns`: `host` (any port), `host:port`, `[v6]:port`, or
 * `*.domain` (any subdomain, not the domain itself). Names compare without case or trailing dot.
 */
export function hostMatches(patterns: readonly string[], host: string, port: number): boolean {
  const name = normaliseHost(host);
  return patterns.some((raw) => {
    const pattern = raw.trim().toLowerCase();
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(pattern);
    const patternHost = normaliseHost(withPort ? withPort[1]! : pattern);
    if (withPort && Number(withPort[2]) !== port) return false;
    if (patternHost.startsWith('*.')) {
      const suffix = patternHost.slice(1);
      return name.endsWith(suffix) && name.length > suffix.length;
    }
    return patternHost === name;
  });
}

/** A refusal that names the credential and where it may go, never its secret. */
export function credentialHostProblem(
  credential: ResolvedCredential,
  host: string,
  port: number,
): string | undefined {
  const hosts = credential.allowedHosts ?? [];
  if (hostMatches(hosts, host, port)) return undefined;
  const target = `${normaliseHost(host)}:${port}`;
  if (credential.hostsSource === 'workspace' || credential.allowedHosts === undefined) {
    return (
      `The credential "${credential.name}" is not bound to any host, and ${target} is not on the ` +
      "workspace's outbound allow-list: an admin sets the hosts it may be sent to " +
      `(PUT .../credentials/${credential.id} with allowedHosts)`
    );
  }
  return (
    `The credential "${credential.name}" may be sent only to ${hosts.join(', ')}, not to ${target}; ` +
    'an admin changes its allowed hosts'
  );
}

function configUrl(ctx: NodeContext<unknown>): string | undefined {
  const url = (ctx.config as { url?: unknown } | null)?.url;
  return typeof url === 'string' ? url : undefined;
}

/**
 * Resolve the node's credential (from the run's workspace only) into request headers, once the
 * URL's host is one the credential may be sent to: a member cannot point an admin's credential
 * at a host of their own. `url` defaults to the node's `config.url`.
 */
export async function resolveHttpAuth(
  ctx: NodeContext<unknown>,
  credentialId: string | undefined,
  url: string | undefined = configUrl(ctx),
): Promise<AppliedAuth> {
  if (!credentialId) return noAuth;
  let credential: ResolvedCredential;
  try {
    credential = await required(ctx.services.credentials, 'credentials').resolve(
      ctx.run.workspaceId,
      credentialId,
    );
  } catch (error) {
    throw new StepFailure((error as Error).message, 'credential', 'config.credentialId');
  }
  const target = url !== undefined && URL.canParse(url) ? new URL(url) : undefined;
  if (!target) throw new StepFailure('A credential needs a valid URL to be sent to', 'config', 'config.url');
  const port = target.port ? Number(target.port) : target.protocol === 'https:' ? 443 : 80;
  const problem = credentialHostProblem(credential, target.hostname, port);
  if (problem) throw new StepFailure(problem, 'credential_host', 'config.url');
  const headers = authHeaders(credential.secret);
  return { headers, secrets: secretValues(credential.secret), sensitiveHeaders: Object.keys(headers) };
}
