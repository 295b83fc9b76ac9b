import type { EdgeSpec, NodeSpec, WorkflowDocument } from './document.js';
import { isTrigger, type AnyNodeType } from './node.js';
import type { NodeRegistry } from './registry.js';

/**
 * A workflow document turned into lookup tables for the executor. Compile once per
 * published version and share it across runs: every array and map here is built
 * once, so per-run state can be plain arrays indexed by `CompiledNode.index`.
 */

export interface GraphEdge extends EdgeSpec {
  /** Position of the edge in `document.edges`. */
  readonly index: number;
  /** `CompiledNode.index` of both ends. */
  readonly fromIndex: number;
  readonly toIndex: number;
}

export interface CompiledNode {
  readonly id: string;
  /** Position in topological order (`graph.order[index] === id`). */
  readonly index: number;
  readonly spec: NodeSpec;
  readonly type: AnyNodeType;
  readonly isTrigger: boolean;
  readonly inbound: readonly GraphEdge[];
  /** Outbound edges by `fromPort`. */
  readonly outbound: ReadonlyMap<string, readonly GraphEdge[]>;
}

export interface CompiledGraph {
  readonly document: WorkflowDocument;
  readonly nodes: ReadonlyMap<string, CompiledNode>;
  /** Nodes in topological order; `nodeList[i].index === i`. */
  readonly nodeList: readonly CompiledNode[];
  /** Node ids in topological order (Kahn, seeded in document order, so deterministic). */
  readonly order: readonly string[];
  readonly triggers: readonly string[];
  readonly edges: readonly GraphEdge[];
}

export class GraphError extends Error {
  override readonly name = 'GraphError';
}

const NO_EDGES: readonly GraphEdge[] = Object.freeze([]);
const NO_PORTS: ReadonlyMap<string, readonly GraphEdge[]> = new Map();

/** Edges leaving `node` on `port`; a shared empty array when there are none. */
export function outboundOn(node: CompiledNode, port: string): readonly GraphEdge[] {
  return node.outbound.get(port) ?? NO_EDGES;
}

/** Build the graph of a valid document; throws `GraphError` on what would break it. */
export function compileGraph(doc: WorkflowDocument, registry: NodeRegistry): CompiledGraph {
  const docIndex = indexNodes(doc, registry);
  const order = topologicalOrder(doc, docIndex);
  // Document position → topological position, so edges can carry the latter.
  const rank = new Array<number>(doc.nodes.length);
  order.forEach((docPos, topoPos) => (rank[docPos] = topoPos));

  const inbound: GraphEdge[][] = doc.nodes.map(() => []);
  const outbound: Map<string, GraphEdge[]>[] = doc.nodes.map(() => new Map<string, GraphEdge[]>());
  const edges = doc.edges.map((edge, index): GraphEdge => {
    const fromDoc = docIndex.get(edge.from)!.position;
    const toDoc = docIndex.get(edge.to)!.position;
    const compiled: GraphEdge = { ...edge, index, fromIndex: rank[fromDoc]!, toIndex: rank[toDoc]! };
    inbound[toDoc]!.push(compiled);
    const byPort = outbound[fromDoc]!;
    const list = byPort.get(edge.fromPort);
    if (list) list.push(compiled);
    else byPort.set(edge.fromPort, [compiled]);
    return compiled;
  });

  const nodeList = order.map((docPos, topoPos): CompiledNode => {
    const spec = doc.nodes[docPos]!;
    const type = docIndex.get(spec.id)!.type;
    return {
      id: spec.id,
      index: topoPos,
      spec,
      type,
      isTrigger: isTrigger(type),
      inbound: inbound[docPos]!.length > 0 ? inbound[docPos]! : NO_EDGES,
      outbound: outbound[docPos]!.size > 0 ? outbound[docPos]! : NO_PORTS,
    };
  });

  return {
    document: doc,
    nodes: new Map(nodeList.map((node) => [node.id, node])),
    nodeList,
    order: nodeList.map((node) => node.id),
    triggers: nodeList.filter((node) => node.isTrigger).map((node) => node.id),
    edges,
  };
}

interface IndexedNode {
  readonly position: number;
  readonly type: AnyNodeType;
}

function indexNodes(doc: WorkflowDocument, registry: NodeRegistry): Map<string, IndexedNode> {
  const byId = new Map<string, IndexedNode>();
  doc.nodes.forEach((spec, position) => {
    if (byId.has(spec.id)) throw new GraphError(`node id "${spec.id}" is used twice`);
    const type = registry.get(spec.type);
    if (!type) throw new GraphError(`node "${spec.id}" has unknown type "${spec.type}"`);
    byId.set(spec.id, { position, type });
  });
  doc.edges.forEach((edge, index) => {
    for (const end of [edge.from, edge.to]) {
      if (!byId.has(end)) throw new GraphError(`edge ${index} points to unknown node "${end}"`);
    }
  });
  return byId;
}

/** Kahn's algorithm over document positions; throws on a cycle. */
function topologicalOrder(doc: WorkflowDocument, byId: ReadonlyMap<string, IndexedNode>): number[] {
  const n = doc.nodes.length;
  const inDegree = new Array<number>(n).fill(0);
  const successors: number[][] = Array.from({ length: n }, () => []);
  for (const edge of doc.edges) {
    const from = byId.get(edge.from)!.position;
    const to = byId.get(edge.to)!.position;
    successors[from]!.push(to);
    inDegree[to]! += 1;
  }
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (inDegree[i] === 0) order.push(i);
  // `order` doubles as the queue: everything before `head` has been expanded.
  for (let head = 0; head < order.length; head++) {
    for (const next of successors[order[head]!]!) {
      inDegree[next]! -= 1;
      if (inDegree[next] === 0) order.push(next);
    }
  }
  if (order.length < n) {
    const stuck = doc.nodes.filter((_, i) => inDegree[i]! > 0).map((node) => `"${node.id}"`);
    throw new GraphError(`the workflow has a cycle through ${stuck.join(', ')}`);
  }
  return order;
}
