import type { Knex } from 'knex';
import { z } from 'zod';
import type { WorkflowDocument } from '../../engine/document.js';
import type { AnyNodeType } from '../../engine/node.js';
import type { NodeRegistry } from '../../engine/registry.js';
import { hasTemplate } from '../../engine/templates.js';
import type { ValidationIssue } from '../../engine/validate.js';

/**
 * "This will run": problems the document alone cannot show because they depend on the
 * workspace and the deployment — a credential a node names that does not exist (or is of
 * the wrong type), an email node with neither an SMTP credential nor SMTP_URL. Reported as
 * validation problems on the node, so a run never fails halfway on them after earlier
 * steps already changed something (issue 18).
 */

interface CredentialField {
  key: string;
  types: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const fieldCache = new WeakMap<AnyNodeType, CredentialField[]>();

/** Top-level config fields holding a credential id (JSON Schema `format: "credential"`). */
function credentialFields(type: AnyNodeType): CredentialField[] {
  let fields = fieldCache.get(type);
  if (fields) return fields;
  fields = [];
  try {
    const schema = z.toJSONSchema(type.config, { unrepresentable: 'any', io: 'input' }) as {
      properties?: Record<string, { format?: string; credentialTypes?: string[] }>;
    };
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      if (property.format === 'credential') fields.push({ key, types: property.credentialTypes ?? [] });
    }
  } catch {
    // A schema JSON Schema cannot express has no credential fields we could name.
  }
  fieldCache.set(type, fields);
  return fields;
}

export async function readinessIssues(
  knex: Knex,
  registry: NodeRegistry,
  workspaceId: string,
  document: WorkflowDocument,
  env: { smtpConfigured: boolean } = { smtpConfigured: Boolean(process.env.SMTP_URL) },
): Promise<ValidationIssue[]> {
  const wanted: Array<{ position: number; nodeId: string; field: CredentialField; id: string }> = [];
  const issues: ValidationIssue[] = [];
  document.nodes.forEach((node, position) => {
    const type = registry.get(node.type);
    if (!type) return;
    for (const field of credentialFields(type)) {
      const value = node.config[field.key];
      // A template is only known at run time; an empty field falls back to a default.
      if (typeof value !== 'string' || value === '' || hasTemplate(value)) {
        if (type.outbound === 'email' && field.types.includes('smtp') && value === undefined && !env.smtpConfigured) {
          issues.push({
            code: 'not_configured',
            message: `Node "${node.id}": no SMTP server to send with: choose an SMTP credential (or set SMTP_URL on the server)`,
            nodeId: node.id,
            field: `config.${field.key}`,
            path: ['nodes', position, 'config', field.key],
          });
        }
        continue;
      }
      wanted.push({ position, nodeId: node.id, field, id: value });
    }
  });
  if (wanted.length === 0) return issues;
  const ids = [...new Set(wanted.map((w) => w.id).filter((id) => UUID.test(id)))];
  const rows =
    ids.length === 0
      ? []
      : await knex('credentials')
          .where({ workspace_id: workspaceId })
          .whereIn('id', ids)
          .select<Array<{ id: string; type: string }>>('id', 'type');
  const typeOf = new Map(rows.map((row) => [row.id, row.type]));
  for (const { position, nodeId, field, id } of wanted) {
    const found = typeOf.get(id);
    const base = {
      nodeId,
      field: `config.${field.key}`,
      path: ['nodes', position, 'config', field.key],
    };
    if (found === undefined) {
      issues.push({
        ...base,
        code: 'missing_credential',
        message: `Node "${nodeId}": config.${field.key} names a credential that does not exist in this workspace: choose another`,
      });
    } else if (field.types.length > 0 && !field.types.includes(found)) {
      issues.push({
        ...base,
        code: 'missing_credential',
        message: `Node "${nodeId}": config.${field.key} is a ${found} credential; this field needs ${field.types.join(' or ')}`,
      });
    }
  }
  return issues;
}
