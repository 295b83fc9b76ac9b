import type { WorkflowDocumentInput } from '../../engine/document.js';
import type { NodeRegistry } from '../../engine/registry.js';
import { isTrigger } from '../../engine/node.js';
import { validateWorkflow } from '../../engine/validate.js';
import { createNodeRegistry } from '../../nodes/index.js';
// The one list of templates, as the canvas offers them: a new canvas/templates/<feature>.ts spread
// into it (one line there) appears here too, with no change on the server.
import { TEMPLATES } from '../../canvas/src/pages/templates.js';

/** A workflow template as the gallery serves it (issue 19): data on the server, not only in the bundle. */
export interface CatalogTemplate {
  id: string;
  title: string;
  description: string;
  category: string;
  /** Every node type the template uses, sorted, and its triggers. */
  nodeTypes: string[];
  triggers: string[];
  document: WorkflowDocumentInput;
}

export interface TemplateCategory {
  id: string;
  title: string;
  count: number;
}

const CATEGORY_TITLES: Record<string, string> = {
  billing: 'Billing & upsell',
  growth: 'Growth analytics',
  feedback: 'Releases & feedback',
  outbound: 'Outbound',
  voice: 'Calls & voice',
  sales: 'Sales & leads',
  general: 'General',
};

/** By the template id's prefix first (each feature names its templates), else by the nodes it uses. */
const BY_PREFIX: ReadonlyArray<readonly [RegExp, string]> = [
  [/^billing-/, 'billing'],
  [/^analytics-/, 'growth'],
  [/^(release|nps)-/, 'feedback'],
  [/^outbound-/, 'outbound'],
  [/^voice-|^call-/, 'voice'],
  [/^lead-|^reply-/, 'sales'],
];
const BY_NODE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(billing\.|trigger\.stripe)/, 'billing'],
  [/^outbound\./, 'outbound'],
  [/^voice\./, 'voice'],
  [/^analytics\./, 'growth'],
];

function categoryOf(id: string, nodeTypes: readonly string[]): string {
  for (const [pattern, category] of BY_PREFIX) if (pattern.test(id)) return category;
  for (const [pattern, category] of BY_NODE)
    if (nodeTypes.some((type) => pattern.test(type))) return category;
  return 'general';
}

interface SourceTemplate {
  id: string;
  title: string;
  description: string;
  document: unknown;
  category?: string;
}

/** The gallery: every canvas template that is a workflow (the blank canvas is not). */
export function templateCatalog(source: readonly SourceTemplate[] = TEMPLATES): CatalogTemplate[] {
  const registry = createNodeRegistry();
  const trigger = (type: string): boolean => {
    const nodeType = registry.get(type);
    return nodeType ? isTrigger(nodeType) : type.startsWith('trigger.');
  };
  return source
    .filter((template) => template.id !== 'blank')
    .map((template) => {
      const document = template.document as WorkflowDocumentInput;
      const nodeTypes = [...new Set(document.nodes.map((node) => node.type))].sort();
      const triggers = nodeTypes.filter(trigger);
      return {
        id: template.id,
        title: template.title,
        description: template.description,
        category: template.category ?? categoryOf(template.id, nodeTypes),
        nodeTypes,
        triggers,
        document,
      };
    });
}

export function categoriesOf(templates: readonly CatalogTemplate[]): TemplateCategory[] {
  const counts = new Map<string, number>();
  for (const template of templates) counts.set(template.category, (counts.get(template.category) ?? 0) + 1);
  return [...counts]
    .map(([id, count]) => ({ id, title: CATEGORY_TITLES[id] ?? id, count }))
    .sort((a, b) => a.title.localeCompare(b.title));
}

/** Templates that do not validate against the node registry, with their first problem (a test keeps this empty). */
export function invalidTemplates(templates: readonly CatalogTemplate[], registry: NodeRegistry): string[] {
  return templates.flatMap((template) => {
    const result = validateWorkflow(template.document, registry);
    return result.ok ? [] : [`${template.id}: ${result.issues[0]?.message ?? 'invalid'}`];
  });
}
