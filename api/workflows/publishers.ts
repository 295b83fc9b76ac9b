import type { Knex } from 'knex';
import { DomainError, notFoundError } from '../../engine/errors.js';
import type { WorkflowDocument } from '../../engine/document.js';
import {
  nodeRoles,
  roleAtLeast,
  type NodeRole,
  type Publisher,
  type PublisherGuard,
} from '../../engine/node.js';
import type { NodeRegistry } from '../../engine/registry.js';

const asRole = (value: unknown): NodeRole | undefined =>
  (nodeRoles as readonly unknown[]).includes(value) ? (value as NodeRole) : undefined;

/** A node that needs a role its publisher lacks: 403, naming the node and the role. */
function roleRefused(node: { id: string; type: string }, role: NodeRole, why: string): DomainError {
  return new DomainError(
    'forbidden',
    'node_role',
    `The node "${node.id}" (${node.type}) needs a workspace ${role}: ${why}`,
    undefined,
    {
      nodeId: node.id,
      nodeType: node.type,
      requiredRole: role,
      invalidParams: [{ name: `nodes.${node.id}.type`, reason: `${node.type} needs a workspace ${role}` }],
    },
  );
}

/** Publishing: every node type that `requiresRole` needs the publisher to hold it. */
export function assertPublisherMayPublish(
  registry: NodeRegistry,
  document: WorkflowDocument,
  publisherRole: NodeRole,
): void {
  for (const node of document.nodes) {
    const required = registry.get(node.type)?.requiresRole;
    if (required && !roleAtLeast(publisherRole, required))
      throw roleRefused(node, required, `a ${publisherRole} may not publish it; ask a workspace ${required}`);
  }
}

/**
 * Run time: the role of whoever published the running version, read now — a demoted owner's
 * version stops doing an owner's job. A person is the version's `created_by`; an API key is the
 * actor of the version's `workflow.publish` audit entry. A version with neither fails closed.
 */
export function createPublisherGuard(knex: Knex): PublisherGuard {
  async function publisherOf(workspaceId: string, versionId: string): Promise<Publisher | string> {
    const version = await knex('workflow_versions')
      .where({ id: versionId, workspace_id: workspaceId })
      .first<{ created_by: string | null; workflow_id: string; number: number } | undefined>(
        'created_by',
        'workflow_id',
        'number',
      );
    if (!version) throw notFoundError('The version');
    if (version.created_by) {
      const membership = await knex('memberships')
        .where({ workspace_id: workspaceId, user_id: version.created_by })
        .first<{ role: string } | undefined>('role');
      const role = asRole(membership?.role);
      return role
        ? { userId: version.created_by, apiKeyId: null, role }
        : `version ${version.number} was published by someone who is no longer a member`;
    }
    const published = await knex('audit_log')
      .where({ workspace_id: workspaceId, action: 'workflow.publish', target_id: version.workflow_id })
      .whereRaw("metadata->>'versionId' = ?", [versionId])
      .whereNotNull('actor_api_key_id')
      .first<{ actor_api_key_id: string } | undefined>('actor_api_key_id');
    if (!published) return `nobody is on record as publishing version ${version.number}; publish it again`;
    const key = await knex('api_keys')
      .where({ id: published.actor_api_key_id, workspace_id: workspaceId })
      .whereNull('revoked_at')
      .first<{ role: string } | undefined>('role');
    const role = asRole(key?.role);
    return role
      ? { userId: null, apiKeyId: published.actor_api_key_id, role }
      : `version ${version.number} was published with an API key that has been revoked`;
  }

  return {
    async require(run, node, role) {
      const publisher = await publisherOf(run.workspaceId, run.versionId);
      if (typeof publisher === 'string') throw roleRefused(node, role, publisher);
      if (!roleAtLeast(publisher.role, role))
        throw roleRefused(
          node,
          role,
          `whoever published this version is a ${publisher.role} now; a workspace ${role} must publish it again`,
        );
      return publisher;
    },
  };
}
