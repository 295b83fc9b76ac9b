import {
  applyNodeChanges,
  Position,
  type Edge,
  type Node,
  type NodeChange,
  type NodeHandle,
} from '@xyflow/react';
import dagre from '@dagrejs/dagre';
import type {
  EdgeSpec,
  JsonObject,
  JsonSchema,
  JsonValue,
  NodeSpec,
  NodeType,
  WorkflowDocument,
  WorkflowSettings,
} from '../api/types.js';

/** What a canvas node carries: its document spec (less id and position) and its ports. */
export interface NodeData extends Record<string, unknown> {
  spec: Omit<NodeSpec, 'id' | 'position'>;
  inputs: string[];
  outputs: string[];
}
export type FlowNode = Node<NodeData, 'revflow'>;

export interface DocMeta {
  name: string;
  description?: string;
  settings: WorkflowSettings;
  /** Pinned test data per node id (engine/document.ts `pinData`): test runs use it instead of running the node. */
  pinData?: Record<string, JsonValue>;
}

/** The document as the editor stores it: the API's type plus the editor's pinned test data. */
export type EditorDocument = WorkflowDocument & { pinData?: Record<string, JsonValue> };

export interface Graph {
  nodes: FlowNode[];
  edges: Edge[];
  meta: DocMeta;
}

export const edgeId = (e: EdgeSpec): string =>
  `${e.from}:${e.fromPort ?? 'out'}->${e.to}:${e.toPort ?? 'in'}`;

/** Ports of a node as the engine sees them: `error` joins when errors are routed. */
export function portsOf(
  spec: NodeData['spec'],
  type: NodeType | undefined,
  dynamic?: string[],
): { inputs: string[]; outputs: string[] } {
  const outputs = [...(dynamic ?? type?.outputs ?? ['out'])];
  if (spec.onError === 'route' && !outputs.includes('error')) outputs.push('error');
  return { inputs: type?.inputs ?? ['in'], outputs };
}

/** Geometry of a drawn node (see .rf-node in styles.css and RevflowNode). */
export const NODE_HEAD = 44;
export const NODE_PORT_ROW = 18;
const NODE_WIDTH = 190;
const BORDER_TOP = 3;
const BORDER_SIDE = 1.5;
const HANDLE = 10;

/** Centre of an input port's handle, from the top of the node's padding box. */
export const inputTop = (index: number, count: number): number =>
  count > 1 ? NODE_HEAD + NODE_PORT_ROW * index + NODE_PORT_ROW / 2 : NODE_HEAD / 2;
/** Centre of an output port's handle (below the status row when a run step is shown). */
export const outputTop = (index: number, count: number, status = false): number =>
  count > 1 ? NODE_HEAD + (status ? 22 : 0) + NODE_PORT_ROW * index + NODE_PORT_ROW / 2 + 2 : NODE_HEAD / 2;

/**
 * Where a node's handles will be and how big it will be, before the browser has measured it.
 * React Flow draws every unmeasured node once, visible or not (to measure it); with these
 * estimates a big graph draws only what is on screen. The estimates are dropped as soon as the
 * node is measured (see applyCanvasNodeChanges).
 */
export function estimatedGeometry(
  inputs: string[],
  outputs: string[],
): Pick<FlowNode, 'handles' | 'initialWidth' | 'initialHeight'> {
  const handles: NodeHandle[] = [
    ...inputs.map((id, index) => ({
      id,
      type: 'target' as const,
      position: Position.Left,
      x: BORDER_SIDE - HANDLE / 2,
      y: BORDER_TOP + inputTop(index, inputs.length) - HANDLE / 2,
      width: HANDLE,
      height: HANDLE,
    })),
    ...outputs.map((id, index) => ({
      id,
      type: 'source' as const,
      position: Position.Right,
      x: NODE_WIDTH - BORDER_SIDE - HANDLE / 2,
      y: BORDER_TOP + outputTop(index, outputs.length) - HANDLE / 2,
      width: HANDLE,
      height: HANDLE,
    })),
  ];
  const ports = outputs.length > 1 ? 8 + NODE_PORT_ROW * outputs.length : 0;
  return {
    handles,
    initialWidth: NODE_WIDTH,
    initialHeight: BORDER_TOP + NODE_HEAD + ports + BORDER_SIDE,
  };
}

/**
 * applyNodeChanges, and a measured node forgets its estimated geometry: React Flow would
 * otherwise take the estimated handles again whenever the node object changes.
 */
export function applyCanvasNodeChanges(changes: NodeChange<FlowNode>[], nodes: FlowNode[]): FlowNode[] {
  const next = applyNodeChanges(changes, nodes);
  const measured = new Set<string>();
  for (const change of changes) if (change.type === 'dimensions') measured.add(change.id);
  if (measured.size === 0) return next;
  return next.map((node) => {
    if (!measured.has(node.id) || !node.handles) return node;
    const { handles: _handles, initialWidth: _width, initialHeight: _height, ...rest } = node;
    return rest;
  });
}

/**
 * Nodes that replace others with the same id (undo, redo, a version loaded into the draft) keep
 * what the browser measured of them: with estimates instead, React Flow would not measure a
 * node that is already drawn again, and its edges would stay attached where it guessed.
 */
export function keepMeasurements(next: FlowNode[], current: FlowNode[]): FlowNode[] {
  const measured = new Map<string, NonNullable<FlowNode['measured']>>();
  for (const node of current) if (node.measured && !node.handles) measured.set(node.id, node.measured);
  return next.map((node) => {
    const known = measured.get(node.id);
    if (!known || !node.handles) return node;
    const { handles: _handles, initialWidth: _width, initialHeight: _height, ...rest } = node;
    return { ...rest, measured: known };
  });
}

export function toGraph(document: EditorDocument, types: Map<string, NodeType>): Graph {
  const nodes: FlowNode[] = document.nodes.map((node, index) => {
    const { id, position, ...spec } = node;
    const ports = portsOf(spec, types.get(node.type));
    return {
      id,
      type: 'revflow',
      position: position ?? { x: index * 260, y: 0 },
      data: { spec: { ...spec, config: spec.config ?? {} }, ...ports },
      ...estimatedGeometry(ports.inputs, ports.outputs),
    };
  });
  const edges: Edge[] = document.edges.map((edge) => ({
    id: edgeId(edge),
    source: edge.from,
    target: edge.to,
    sourceHandle: edge.fromPort ?? 'out',
    targetHandle: edge.toPort ?? 'in',
  }));
  return {
    nodes,
    edges,
    meta: {
      name: document.name,
      ...(document.description ? { description: document.description } : {}),
      settings: document.settings ?? {},
      ...(document.pinData && Object.keys(document.pinData).length > 0 ? { pinData: document.pinData } : {}),
    },
  };
}

export function toDocument(graph: Graph): EditorDocument {
  return {
    schemaVersion: 1,
    name: graph.meta.name,
    ...(graph.meta.description ? { description: graph.meta.description } : {}),
    nodes: graph.nodes.map((node) => ({
      id: node.id,
      ...node.data.spec,
      position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
    })),
    edges: graph.edges.map((edge) => ({
      from: edge.source,
      ...(edge.sourceHandle && edge.sourceHandle !== 'out' ? { fromPort: edge.sourceHandle } : {}),
      to: edge.target,
      ...(edge.targetHandle && edge.targetHandle !== 'in' ? { toPort: edge.targetHandle } : {}),
    })),
    settings: graph.meta.settings,
    ...pinsOf(graph),
  };
}

/** Pins of nodes that still exist; none at all leaves the key out. */
function pinsOf(graph: Graph): { pinData?: Record<string, JsonValue> } {
  const pins = graph.meta.pinData;
  if (!pins) return {};
  const ids = new Set(graph.nodes.map((n) => n.id));
  const kept = Object.fromEntries(Object.entries(pins).filter(([id]) => ids.has(id)));
  return Object.keys(kept).length > 0 ? { pinData: kept } : {};
}

/** A fresh node id from the type's title: `if`, `code`, `manual_trigger`, then `if_2`, ... */
export function newNodeId(title: string, taken: Set<string>): string {
  const base =
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .replace(/^(?=[0-9])/, 'n') || 'node';
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.has(`${base}_${n}`)) return `${base}_${n}`;
}

/** Would an edge source → target close a cycle? (target already reaches source) */
export function wouldCycle(edges: Edge[], source: string, target: string): boolean {
  const next = new Map<string, string[]>();
  for (const edge of edges) next.set(edge.source, [...(next.get(edge.source) ?? []), edge.target]);
  const stack = [target];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === source) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

/** The part of dagre's graph the layout uses (its types come through graphlib's loose generics). */
interface LayoutGraph {
  setGraph(label: Record<string, unknown>): void;
  setDefaultEdgeLabel(label: () => Record<string, unknown>): void;
  setNode(id: string, label: { width: number; height: number }): void;
  hasNode(id: string): boolean;
  setEdge(from: string, to: string, label: Record<string, unknown>, name: string): void;
  node(id: string): unknown;
}
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unnecessary-type-assertion -- dagre's loosely typed entry points */
const newLayoutGraph = (): LayoutGraph =>
  new dagre.graphlib.Graph({ multigraph: true }) as unknown as LayoutGraph;
const runLayout = (g: LayoutGraph): void => {
  dagre.layout(g as never);
};
/* eslint-enable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unnecessary-type-assertion */

/**
 * Left-to-right layered layout with dagre: ranks by longest path, orders each rank to cut
 * crossings, and spaces nodes by their measured size so none overlap and branches stay apart.
 */
export function autoLayout(nodes: FlowNode[], edges: Edge[]): FlowNode[] {
  const g = newLayoutGraph();
  g.setGraph({ rankdir: 'LR', nodesep: 50, ranksep: 90, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const size = (node: FlowNode): { width: number; height: number } => ({
    width: node.measured?.width ?? node.width ?? NODE_WIDTH,
    height: node.measured?.height ?? node.height ?? NODE_HEAD + 20,
  });
  for (const node of nodes) g.setNode(node.id, size(node));
  for (const edge of edges)
    if (g.hasNode(edge.source) && g.hasNode(edge.target)) g.setEdge(edge.source, edge.target, {}, edge.id);
  runLayout(g);
  return nodes.map((node) => {
    const placed = g.node(node.id) as { x: number; y: number } | undefined;
    if (!placed) return node;
    const { width, height } = size(node);
    // dagre gives centres; React Flow positions are top-left corners.
    return { ...node, position: { x: Math.round(placed.x - width / 2), y: Math.round(placed.y - height / 2) } };
  });
}

function schemaType(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

/** A starting config: schema defaults, and a sensible value for required text and code. */
export function defaultConfig(schema: JsonSchema): JsonObject {
  const config: JsonObject = {};
  for (const [key, field] of Object.entries(schema.properties ?? {})) {
    if (field.default !== undefined) config[key] = field.default;
    else if (field.format === 'javascript') config[key] = 'return input;';
  }
  return config;
}

export function fieldKind(
  schema: JsonSchema,
):
  | 'code'
  | 'logic'
  | 'credential'
  | 'enum'
  | 'string'
  | 'number'
  | 'boolean'
  | 'objectArray'
  | 'stringArray'
  | 'record'
  | 'object'
  | 'json' {
  if (schema.format === 'javascript') return 'code';
  if (schema.format === 'json-logic') return 'logic';
  if (schema.format === 'credential') return 'credential';
  if (schema.enum) return 'enum';
  const type = schemaType(schema);
  if (type === 'string') return 'string';
  if (type === 'number' || type === 'integer') return 'number';
  if (type === 'boolean') return 'boolean';
  if (type === 'array') {
    const items = schema.items ?? {};
    if (schemaType(items) === 'object' && items.properties) return 'objectArray';
    if (schemaType(items) === 'string' && !items.enum) return 'stringArray';
    return 'json';
  }
  if (type === 'object') {
    if (schema.properties && Object.keys(schema.properties).length > 0) return 'object';
    if (typeof schema.additionalProperties === 'object') return 'record';
  }
  return 'json';
}

export function isJsonValue(value: unknown): value is JsonValue {
  return value === null || ['string', 'number', 'boolean', 'object'].includes(typeof value);
}

export const FAMILY_ORDER = [
  'trigger',
  'logic',
  'data',
  'flow',
  'actions',
  'action',
  'billing',
  'growth',
  'ai',
  'safety',
];
export const FAMILY_TITLE: Record<string, string> = {
  trigger: 'Triggers',
  logic: 'Logic',
  data: 'Data',
  flow: 'Flow',
  actions: 'Actions',
  action: 'Actions',
  billing: 'Billing',
  growth: 'Growth',
  ai: 'AI',
  safety: 'Safety',
};
