import type { JsonValue, NodeSpec, WorkflowDocument } from '../api/types.js';

/** One changed field of a node: its path (`config.subject`, `retry.maxAttempts`, `type`) and values. */
export interface FieldChange {
  path: string;
  before: JsonValue | undefined;
  after: JsonValue | undefined;
}

export interface DocumentDiff {
  addedNodes: string[];
  removedNodes: string[];
  changedNodes: Array<{ id: string; fields: FieldChange[] }>;
  /** Nodes whose only change is their place on the canvas. */
  movedNodes: string[];
  addedEdges: string[];
  removedEdges: string[];
  /** Name, description and settings. */
  workflow: FieldChange[];
}

const isObject = (value: unknown): value is Record<string, JsonValue> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Leaf-level differences between two JSON values; objects are walked, arrays compared whole. */
function changes(
  path: string,
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  out: FieldChange[],
): FieldChange[] {
  if (same(before, after)) return out;
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of [...keys].sort()) changes(path ? `${path}.${key}` : key, before[key], after[key], out);
    return out;
  }
  out.push({ path, before, after });
  return out;
}

const edgeKey = (e: WorkflowDocument['edges'][number]): string =>
  `${e.from}${e.fromPort && e.fromPort !== 'out' ? `.${e.fromPort}` : ''} → ${e.to}${
    e.toPort && e.toPort !== 'in' ? `.${e.toPort}` : ''
  }`;

const specOf = (node: NodeSpec): Record<string, JsonValue> => {
  const { id: _id, position: _position, ...rest } = node;
  return JSON.parse(JSON.stringify(rest)) as Record<string, JsonValue>;
};

/** What changed from `before` (say, a published version) to `after` (say, the draft). */
export function diffDocuments(before: WorkflowDocument, after: WorkflowDocument): DocumentDiff {
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const diff: DocumentDiff = {
    addedNodes: after.nodes.filter((n) => !old.has(n.id)).map((n) => n.id),
    removedNodes: before.nodes.filter((n) => !now.has(n.id)).map((n) => n.id),
    changedNodes: [],
    movedNodes: [],
    addedEdges: [],
    removedEdges: [],
    workflow: [],
  };
  for (const node of after.nodes) {
    const previous = old.get(node.id);
    if (!previous) continue;
    const fields = changes('', specOf(previous), specOf(node), []);
    if (fields.length > 0) diff.changedNodes.push({ id: node.id, fields });
    else if (!same(previous.position ?? null, node.position ?? null)) diff.movedNodes.push(node.id);
  }
  const oldEdges = new Set(before.edges.map(edgeKey));
  const newEdges = new Set(after.edges.map(edgeKey));
  diff.addedEdges = [...newEdges].filter((e) => !oldEdges.has(e));
  diff.removedEdges = [...oldEdges].filter((e) => !newEdges.has(e));
  const meta = (doc: WorkflowDocument): Record<string, JsonValue> =>
    JSON.parse(
      JSON.stringify({ name: doc.name, description: doc.description ?? '', settings: doc.settings ?? {} }),
    ) as Record<string, JsonValue>;
  diff.workflow = changes('', meta(before), meta(after), []);
  return diff;
}

export const isEmptyDiff = (diff: DocumentDiff): boolean =>
  diff.addedNodes.length +
    diff.removedNodes.length +
    diff.changedNodes.length +
    diff.movedNodes.length +
    diff.addedEdges.length +
    diff.removedEdges.length +
    diff.workflow.length ===
  0;

/** A short, single-line rendering of a value for the diff view. */
export function showValue(value: JsonValue | undefined): string {
  if (value === undefined) return '∅';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
