import type { Knex } from 'knex';
import { AllowList } from './ssrf.js';

/** A workspace's outbound allow-list, cached briefly: it is read on every outbound request. */
export class OutboundAllowLists {
  private readonly cache = new Map<string, { hosts: string[]; at: number }>();

  constructor(
    private readonly knex: Knex,
    /** REVFLOW_SSRF_ALLOW_HOSTS: allowed for every workspace of this process. */
    private readonly processHosts: readonly string[],
    private readonly ttlMs = 1_000,
  ) {}

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
