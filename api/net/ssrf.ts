import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * The SSRF guard every outbound request goes through (http.request, notify.chat, ...).
 * A URL's host is resolved HERE (all addresses), every address is checked, and the
 * connection is then pinned to the checked address (see http-client.ts), so a DNS answer
 * that changes between check and connect (rebinding) cannot slip through.
 */

const forbidden = new BlockList();
// IPv4: "this network", private, CGNAT, loopback, link-local (cloud metadata 169.254.169.254),
// IETF protocol assignments, TEST-NETs, benchmarking, multicast and reserved/broadcast.
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv4');
}
// IPv6: IPv4-compatible (::/96, which holds :: and ::1 and ::127.0.0.1 — issue 11), IPv4-translated
// (::ffff:0:0:0/96), discard-only, unique-local, link-local, site-local (deprecated), multicast,
// documentation, ORCHID, benchmarking, SRv6 SIDs, and the translation prefixes NAT64 (well-known
// and local-use), 6to4 and Teredo (they embed IPv4 addresses we cannot see through cheaply).
for (const [network, prefix] of [
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['100::', 64],
  ['2001::', 32],
  ['2001:2::', 48],
  ['2001:10::', 28],
  ['2001:20::', 28],
  ['3fff::', 20],
  ['5f00::', 16],
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
  ['2002::', 16],
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv6');
}

/** The embedded IPv4 address of an IPv4-mapped (::ffff:a.b.c.d) or -compatible IPv6 address. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:(?:0:)?|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^::ffff:(?:0:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = Number.parseInt(hex[1]!, 16);
    const low = Number.parseInt(hex[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return undefined;
}

/** Why an address may not be reached, or undefined when it is a public address. */
export function forbiddenReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return forbiddenReason(v4);
  }
  return forbidden.check(address, family === 4 ? 'ipv4' : 'ipv6')
    ? 'a private, loopback, link-local or reserved address'
    : undefined;
}

export class OutboundError extends Error {
  constructor(
    message: string,
    readonly code:
      'ssrf_blocked' | 'timeout' | 'response_too_large' | 'too_many_redirects' | 'network' | 'invalid_url',
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

/**
 * Hosts that may be reached even on private addresses: `host` (any port) or `host:port`,
 * from the workspace's allow-list and REVFLOW_SSRF_ALLOW_HOSTS. Compared case-insensitively
 * with the URL's hostname as written (an allow-listed name allows what it resolves to).
 */
export class AllowList {
  private readonly entries: Set<string>;

  constructor(entries: Iterable<string>) {
    this.entries = new Set([...entries].map((entry) => entry.trim().toLowerCase()).filter(Boolean));
  }

  allows(hostname: string, port: number): boolean {
    const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    return (
      this.entries.has(host) || this.entries.has(`${host}:${port}`) || this.entries.has(`[${host}]:${port}`)
    );
  }
}

export function parseAllowHosts(value: string | undefined): string[] {
  return (value ?? '').split(/[,\s]+/).filter(Boolean);
}

export interface CheckedTarget {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Resolve `url`'s host and return the address to connect to, or throw `ssrf_blocked`.
 * Every resolved address must be allowed (a name with one private address is refused),
 * unless the host is allow-listed.
 */
export async function checkTarget(
  url: URL,
  allow: AllowList,
  resolve: Resolver = systemResolver,
): Promise<CheckedTarget> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError(`Only http and https URLs can be requested, not ${url.protocol}`, 'invalid_url');
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return checkHost(url.hostname, port, allow, resolve);
}

/** The same check for any TCP target (SMTP servers from credentials). */
export async function checkHost(
  host: string,
  port: number,
  allow: AllowList,
  resolve: Resolver = systemResolver,
): Promise<CheckedTarget> {
  const hostname = host.replace(/^\[(.*)\]$/, '$1');
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(hostname)) addresses = [{ address: hostname, family: isIP(hostname) }];
  else {
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      throw new OutboundError(
        `The host ${hostname} could not be resolved: ${(error as Error).message}`,
        'network',
      );
    }
  }
  if (addresses.length === 0) throw new OutboundError(`The host ${hostname} has no address`, 'network');
  if (!allow.allows(hostname, port)) {
    for (const { address } of addresses) {
      const reason = forbiddenReason(address);
      if (reason) {
        throw new OutboundError(
          `Refused to connect to ${hostname}:${port}: it resolves to ${address}, ${reason}. ` +
            'An admin can allow-list the host for the workspace.',
          'ssrf_blocked',
        );
      }
    }
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
