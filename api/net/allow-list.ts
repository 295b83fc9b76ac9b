import type { Knex } from 'knex';
import { AllowList } from './ssrf.js';

type HostCache = Map<string, { hosts: string[]; at: number }>;

/**
 * One cache per database in this process, shared by every OutboundAllowLists on it: the route
 * that saves a list and the HTTP service that reads it are different instances, and a save
 * must apply at once (issue 19), not when the reader's copy expires.
 */
const caches = new WeakMap<Knex, HostCache>();

function cacheFor(knex: Knex): HostCache {
  let cache = caches.get(knex);
  if (!cache) {
    cache = new Map();
    caches.set(knex, cache);
  }
  return cache;
}

/**
 * A workspace's outbound allow-list, cached briefly: it is read on every outbound request. A
 * change applies at once in this process; other processes (queue-mode workers) read it again
 * within `ttlMs` (1 s).
 */
export class OutboundAllowLists {
  private readonly cache: HostCache;

  constructor(
    private readonly knex: Knex,
    /** REVFLOW_SSRF_ALLOW_HOSTS: allowed for every workspace of this process. */
    private readonly processHosts: readonly string[],
    private readonly ttlMs = 1_000,
  ) {
    this.cache = cacheFor(knex);
  }

  async hostsOf(workspaceId: string): Promise<string[]> {
    const cached = this.cache.get(workspaceId);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.hosts;
    const row = await this.knex<{ workspace_id: string; hosts: string[] }>('workspace_outbound_hosts')
      .where({ workspace_id: workspaceId })
      .first();
    const hosts = row?.hosts ?? [];
    this.cache.set(workspaceId, { hosts, at: Date.now() });
    return hosts;
  }

  async setHosts(workspaceId: string, hosts: string[]): Promise<void> {
    await this.knex('workspace_outbound_hosts')
      .insert({ workspace_id: workspaceId, hosts: JSON.stringify(hosts), updated_at: new Date() })
      .onConflict('workspace_id')
      .merge();
    this.cache.delete(workspaceId);
  }

  async for(workspaceId: string): Promise<AllowList> {
    return new AllowList([...this.processHosts, ...(await this.hostsOf(workspaceId))]);
  }
}
