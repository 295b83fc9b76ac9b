import ivm from 'isolated-vm';
import type { z } from 'zod';
import { workflowDocumentSchema, type WorkflowDocument } from './document.js';
import { isJsonObject } from './json.js';
import { inputPortsOf, isTrigger, outputPortsOf, type AnyNodeType } from './node.js';
import type { NodeRegistry } from './registry.js';
import {
  findTemplateStrings,
  parseTemplate,
  templateBudgets,
  TemplateSyntaxError,
  type TemplateString,
} from './templates.js';
import { codeModeOf, syntaxErrorFrom, wrapperFor } from './sandbox/compile.js';

/**
 * The validator every document passes before it is saved or run (DESIGN §3).
 * It reports every problem at once, each tied to a node (or edge) and a field, in
 * words a RevOps person on the canvas understands.
 */

export type ValidationCode =
  | 'sandbox_limit'
  | 'invalid_document'
  | 'invalid_node'
  | 'invalid_edge'
  | 'invalid_settings'
  | 'duplicate_node_id'
  | 'unknown_node_type'
  | 'invalid_config'
  | 'invalid_expression'
  | 'dangling_edge'
  | 'duplicate_edge'
  | 'unknown_port'
  | 'edge_into_trigger'
  | 'no_trigger'
  | 'cycle'
  | 'unreachable'
  | 'syntax_error'
  | 'not_configured'
  | 'missing_credential';

export type JsonPath = (string | number)[];

export interface ValidationIssue {
  code: ValidationCode;
  message: string;
  nodeId?: string;
  /**
   * Dotted path of the wrong field: within the node (`config.condition`,
   * `retry.maxAttempts`), within the edge when `edgeIndex` is set (`to`, `fromPort`),
   * else within the document (`settings.timeoutMs`).
   */
  field?: string;
  edgeIndex?: number;
  /** Every node on a cycle, so the canvas can highlight them all. */
  nodeIds?: string[];
  /** Full JSON path in the document. */
  path: JsonPath;
  /** 1-based line in a code field (syntax errors). */
  line?: number;
}

export type ValidationResult =
  | { ok: true; document: WorkflowDocument; issues: [] }
  | { ok: false; issues: ValidationIssue[]; document?: WorkflowDocument };

type ZodIssue = z.core.$ZodIssue;
interface LocatedIssue {
  issue: ZodIssue;
  path: JsonPath;
}
type RawObject = Record<string, unknown>;

/** A node as far as it can be read from the raw input, even if its shape is wrong. */
interface LooseNode {
  readonly position: number;
  readonly id: string;
  readonly typeId: string | undefined;
  readonly type: AnyNodeType | undefined;
  /** Output ports incl. `error` when routed; undefined when they cannot be known. */
  readonly outputs: readonly string[] | undefined;
}

interface LooseEdge {
  readonly index: number;
  readonly from: string;
  readonly to: string;
  /** Undefined when the port is not a string (already reported by the shape check). */
  readonly fromPort: string | undefined;
  readonly toPort: string | undefined;
}

/** An edge both of whose ends exist, as used for cycle and reachability checks. */
interface GraphLink {
  readonly edgeIndex: number;
  readonly to: number;
}

export function validateWorkflow(input: unknown, registry: NodeRegistry): ValidationResult {
  if (!isJsonObject(input)) {
    const issue: ValidationIssue = {
      code: 'invalid_document',
      message: 'A workflow must be a JSON object',
      path: [],
    };
    return { ok: false, issues: [issue] };
  }
  const parsed = workflowDocumentSchema.safeParse(input);
  const issues: ValidationIssue[] = parsed.success ? [] : documentShapeIssues(parsed.error.issues, input);

  const rawNodes = Array.isArray(input.nodes) ? input.nodes : undefined;
  const rawEdges = Array.isArray(input.edges) ? input.edges : [];
  if (rawNodes) {
    const nodes = checkNodes(rawNodes, registry, issues);
    const edges = checkEdges(rawEdges, nodes, issues);
    checkGraph(nodes, edges, issues);
  }

  if (parsed.success && issues.length === 0) return { ok: true, document: parsed.data, issues: [] };
  return parsed.success ? { ok: false, issues, document: parsed.data } : { ok: false, issues };
}

/**
 * Sandbox limits a document asks for above the server's (DESIGN §6: a workflow or node may
 * lower them, never raise them). Warnings, not errors: the engine clamps them at run time to
 * the server's; these name each field that will be clamped.
 */
export function sandboxLimitWarnings(
  document: WorkflowDocument,
  server: { memoryMb: number; cpuTimeoutMs: number },
): ValidationIssue[] {
  const warnings: ValidationIssue[] = [];
  const check = (
    limits: { memoryMb?: number; cpuTimeoutMs?: number } | undefined,
    where: JsonPath,
    subject: string,
    nodeId?: string,
  ): void => {
    for (const key of ['memoryMb', 'cpuTimeoutMs'] as const) {
      const asked = limits?.[key];
      if (asked === undefined || asked <= server[key]) continue;
      const field = [...where, key].join('.');
      warnings.push(
        withOptional(
          {
            code: 'sandbox_limit' as const,
            message: `${subject}: ${field} is ${asked}, above the server's limit of ${server[key]}; ${server[key]} applies`,
            path:
              nodeId === undefined
                ? [...where, key]
                : ['nodes', document.nodes.findIndex((n) => n.id === nodeId), ...where, key],
          },
          { nodeId, field },
        ),
      );
    }
  };
  check(document.settings.sandbox, ['settings', 'sandbox'], 'Workflow');
  for (const node of document.nodes) check(node.sandbox, ['sandbox'], `Node "${node.id}"`, node.id);
  return warnings;
}

// ---------------------------------------------------------------------------
// Document shape (zod)

function documentShapeIssues(zodIssues: readonly ZodIssue[], raw: RawObject): ValidationIssue[] {
  return expandUnrecognizedKeys(zodIssues).map(({ issue, path }) => {
    const value = valueAt(raw, path);
    const [head, index, ...rest] = path;
    if (head === 'nodes' && typeof index === 'number') {
      const nodeId = rawNodeId(raw, index);
      const field = rest.length > 0 ? formatField(rest) : undefined;
      const subject = nodeId !== undefined ? `Node "${nodeId}"` : `Node ${index}`;
      return withOptional(
        { code: 'invalid_node', message: sentence(subject, field, describeZodIssue(issue, value)), path },
        { nodeId, field },
      );
    }
    if (head === 'edges' && typeof index === 'number') {
      const field = rest.length > 0 ? formatField(rest) : undefined;
      return withOptional(
        {
          code: 'invalid_edge',
          message: sentence(`Edge ${index}`, field, describeZodIssue(issue, value)),
          path,
          edgeIndex: index,
        },
        { field },
      );
    }
    const field = path.length > 0 ? formatField(path) : undefined;
    const code: ValidationCode = head === 'settings' ? 'invalid_settings' : 'invalid_document';
    return withOptional(
      { code, message: sentence('Workflow', field, describeZodIssue(issue, value)), path },
      { field },
    );
  });
}

/** zod reports unknown keys once for the object; the canvas wants one field each. */
function expandUnrecognizedKeys(zodIssues: readonly ZodIssue[]): LocatedIssue[] {
  return zodIssues.flatMap((issue): LocatedIssue[] => {
    const path = issue.path.map(toPathKey);
    if (issue.code !== 'unrecognized_keys') return [{ issue, path }];
    return issue.keys.map((key) => ({ issue, path: [...path, key] }));
  });
}

function rawNodeId(raw: RawObject, index: number): string | undefined {
  const node = Array.isArray(raw.nodes) ? (raw.nodes[index] as unknown) : undefined;
  return isJsonObject(node) && typeof node.id === 'string' ? node.id : undefined;
}

// ---------------------------------------------------------------------------
// Nodes: ids, types, config

function checkNodes(
  rawNodes: readonly unknown[],
  registry: NodeRegistry,
  issues: ValidationIssue[],
): LooseNode[] {
  const nodes: LooseNode[] = [];
  const firstById = new Map<string, number>();
  rawNodes.forEach((raw, position) => {
    // Shape problems were reported by zod; only nodes with a usable id take part in the graph.
    if (!isJsonObject(raw) || typeof raw.id !== 'string' || raw.id === '') return;
    const id = raw.id;
    const first = firstById.get(id);
    if (first !== undefined) {
      issues.push({
        code: 'duplicate_node_id',
        message: `Node id "${id}" is used twice (nodes ${first} and ${position}); every node needs its own id`,
        nodeId: id,
        field: 'id',
        path: ['nodes', position, 'id'],
      });
      return;
    }
    firstById.set(id, position);
    nodes.push(checkNode(raw, id, position, registry, issues));
  });
  return nodes;
}

function checkNode(
  raw: RawObject,
  id: string,
  position: number,
  registry: NodeRegistry,
  issues: ValidationIssue[],
): LooseNode {
  const typeId = typeof raw.type === 'string' && raw.type !== '' ? raw.type : undefined;
  const type = typeId !== undefined ? registry.get(typeId) : undefined;
  if (typeId !== undefined && !type) {
    const hint = closestMatch(
      typeId,
      registry.list().map((t) => t.type),
    );
    issues.push({
      code: 'unknown_node_type',
      message: `Node "${id}": unknown node type "${typeId}"${hint ? ` — did you mean "${hint}"?` : ''}`,
      nodeId: id,
      field: 'type',
      path: ['nodes', position, 'type'],
    });
  }
  // A config of the wrong shape was reported by zod; a missing one defaults to {}.
  const config = raw.config === undefined ? {} : raw.config;
  const configUsable = isJsonObject(config);
  let outputs: readonly string[] | undefined;
  if (type && configUsable) {
    const parsedConfig = checkConfig(type, config, id, position, issues);
    outputs = outputPortsFor(type, parsedConfig, raw.onError === 'route');
  }
  return { position, id, typeId, type, outputs };
}

/**
 * Check config against the node type's schema and its templates. Returns what the
 * output-port function may safely see: the parsed config, the raw config when the
 * only complaints were about templates, or `undefined` when the config is wrong.
 */
function checkConfig(
  type: AnyNodeType,
  config: RawObject,
  nodeId: string,
  position: number,
  issues: ValidationIssue[],
): { value: unknown } | undefined {
  const templates = findTemplateStrings(config, type.rawFields ?? []);
  const expressions = templates.reduce((sum, template) => sum + template.text.split('{{').length - 1, 0);
  if (expressions > templateBudgets.maxExpressionsPerConfig) {
    issues.push({
      code: 'invalid_expression',
      message: `Node "${nodeId}": config has ${expressions} "{{ }}" expressions, more than the ${templateBudgets.maxExpressionsPerConfig} a node may have`,
      nodeId,
      field: 'config',
      path: ['nodes', position, 'config'],
    });
  }
  for (const template of templates) {
    const problem = templateProblem(template);
    if (problem === undefined) continue;
    const field = formatField(['config', ...template.path]);
    issues.push({
      code: 'invalid_expression',
      message: `Node "${nodeId}": ${field} has a broken template: ${problem}`,
      nodeId,
      field,
      path: ['nodes', position, 'config', ...template.path],
    });
  }

  const result = type.config.safeParse(config);
  if (type.type === CODE_NODE && typeof config.source === 'string' && config.source.trim() !== '') {
    const syntax = codeSyntaxProblem(config.source);
    if (syntax) {
      issues.push({
        code: 'syntax_error',
        message: `Node "${nodeId}": config.source line ${syntax.line}: ${syntax.message}`,
        nodeId,
        field: 'config.source',
        line: syntax.line,
        path: ['nodes', position, 'config', 'source'],
      });
    }
  }
  if (result.success) return { value: result.data };
  let reported = false;
  for (const { issue, path } of expandUnrecognizedKeys(result.error.issues)) {
    // A template's value is only known at run time; the executor checks it then.
    if (templates.some((template) => isPrefix(template.path, path))) continue;
    const field = formatField(['config', ...path]);
    issues.push({
      code: 'invalid_config',
      message: sentence(`Node "${nodeId}"`, field, describeZodIssue(issue, valueAt(config, path))),
      nodeId,
      field,
      path: ['nodes', position, 'config', ...path],
    });
    reported = true;
  }
  return reported ? undefined : { value: config };
}

const CODE_NODE = 'code.javascript';
let compiler: ivm.Isolate | undefined;

/**
 * A code node's syntax, checked with the sandbox's own compiler and wrapper (so lines match the
 * run-time errors): the text is compiled in a small isolate and never run. node:vm is banned in
 * the host (DESIGN §6); this isolate has no context, so nothing it compiles could ever execute.
 */
export function codeSyntaxProblem(source: string): { line: number; message: string } | undefined {
  if (!compiler || compiler.isDisposed) compiler = new ivm.Isolate({ memoryLimit: 16 });
  try {
    compiler.compileScriptSync(wrapperFor(codeModeOf(source), source), { filename: 'code.js' }).release();
    return undefined;
  } catch (error) {
    const problem = syntaxErrorFrom(error, source);
    return { line: problem.line ?? 1, message: problem.message };
  }
}

function templateProblem(template: TemplateString): string | undefined {
  try {
    parseTemplate(template.text);
    return undefined;
  } catch (error) {
    if (error instanceof TemplateSyntaxError) return error.message;
    throw error;
  }
}

/** Output ports plus the implicit `error` port of a node whose errors are routed. */
function outputPortsFor(
  type: AnyNodeType,
  config: { value: unknown } | undefined,
  routesErrors: boolean,
): readonly string[] | undefined {
  // With a bad config a port function could answer anything; skip the port check instead.
  if (config === undefined && typeof type.outputs === 'function') return undefined;
  let ports: readonly string[];
  try {
    ports = outputPortsOf(type, config?.value);
  } catch {
    return undefined;
  }
  return routesErrors && !ports.includes('error') ? [...ports, 'error'] : ports;
}

// ---------------------------------------------------------------------------
// Edges: ends, duplicates, ports

function checkEdges(
  rawEdges: readonly unknown[],
  nodes: readonly LooseNode[],
  issues: ValidationIssue[],
): LooseEdge[] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const ids = nodes.map((node) => node.id);
  const seen = new Map<string, number>();
  const edges: LooseEdge[] = [];
  rawEdges.forEach((raw, index) => {
    const edge = looseEdge(raw, index);
    if (!edge) return;
    const fromNode = byId.get(edge.from);
    const toNode = byId.get(edge.to);
    if (!fromNode) issues.push(danglingEdge(edge, 'from', ids, toNode));
    if (!toNode) issues.push(danglingEdge(edge, 'to', ids, fromNode));

    const key = JSON.stringify([edge.from, edge.fromPort, edge.to, edge.toPort]);
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({
        code: 'duplicate_edge',
        message: `Edge ${index} repeats edge ${first} ("${edge.from}" → "${edge.to}")`,
        nodeId: edge.from,
        edgeIndex: index,
        path: ['edges', index],
      });
    } else {
      seen.set(key, index);
    }

    if (fromNode) checkFromPort(edge, fromNode, issues);
    if (toNode) checkToEnd(edge, toNode, issues);
    edges.push(edge);
  });
  return edges;
}

/** Read an edge's ends, applying the port defaults; undefined when zod already complained. */
function looseEdge(raw: unknown, index: number): LooseEdge | undefined {
  if (!isJsonObject(raw)) return undefined;
  const { from, to } = raw;
  if (typeof from !== 'string' || from === '' || typeof to !== 'string' || to === '') return undefined;
  const port = (value: unknown, fallback: string): string | undefined =>
    value === undefined ? fallback : typeof value === 'string' && value !== '' ? value : undefined;
  return { index, from, to, fromPort: port(raw.fromPort, 'out'), toPort: port(raw.toPort, 'in') };
}

function danglingEdge(
  edge: LooseEdge,
  end: 'from' | 'to',
  ids: readonly string[],
  otherNode: LooseNode | undefined,
): ValidationIssue {
  const missing = edge[end];
  const hint = closestMatch(missing, ids);
  const verb = end === 'from' ? 'comes from' : 'points to';
  return withOptional(
    {
      code: 'dangling_edge',
      message: `Edge ${edge.index} ${verb} unknown node "${missing}"${hint ? ` — did you mean "${hint}"?` : ''}`,
      field: end,
      edgeIndex: edge.index,
      path: ['edges', edge.index, end],
    },
    { nodeId: otherNode?.id },
  );
}

function checkFromPort(edge: LooseEdge, node: LooseNode, issues: ValidationIssue[]): void {
  const port = edge.fromPort;
  if (port === undefined || node.outputs === undefined || node.outputs.includes(port)) return;
  const message =
    port === 'error'
      ? `Edge ${edge.index} leaves node "${node.id}" from its error port, which exists only when the node's onError is "route"`
      : `Edge ${edge.index} leaves node "${node.id}" from port "${port}", which it does not have (${listPorts(node.outputs)})`;
  issues.push({
    code: 'unknown_port',
    message,
    nodeId: node.id,
    field: 'fromPort',
    edgeIndex: edge.index,
    path: ['edges', edge.index, 'fromPort'],
  });
}

function checkToEnd(edge: LooseEdge, node: LooseNode, issues: ValidationIssue[]): void {
  if (!node.type) return;
  if (isTrigger(node.type)) {
    issues.push({
      code: 'edge_into_trigger',
      message: `Edge ${edge.index} points into trigger "${node.id}"; a trigger starts the run and takes no input`,
      nodeId: node.id,
      field: 'to',
      edgeIndex: edge.index,
      path: ['edges', edge.index, 'to'],
    });
    return;
  }
  const inputs = inputPortsOf(node.type);
  if (edge.toPort === undefined || inputs.includes(edge.toPort)) return;
  issues.push({
    code: 'unknown_port',
    message: `Edge ${edge.index} enters node "${node.id}" at port "${edge.toPort}", which it does not have (${listPorts(inputs)})`,
    nodeId: node.id,
    field: 'toPort',
    edgeIndex: edge.index,
    path: ['edges', edge.index, 'toPort'],
  });
}

function listPorts(ports: readonly string[]): string {
  return ports.length === 0 ? 'it has none' : `its ports: ${ports.map((p) => `"${p}"`).join(', ')}`;
}

// ---------------------------------------------------------------------------
// Graph: trigger, cycles, reachability

function checkGraph(
  nodes: readonly LooseNode[],
  edges: readonly LooseEdge[],
  issues: ValidationIssue[],
): void {
  const triggers = nodes.flatMap((node, i) => (node.type && isTrigger(node.type) ? [i] : []));
  const links = buildLinks(nodes, edges);
  if (triggers.length === 0) {
    // Without a trigger every node would also be "unreachable"; one issue says it all.
    issues.push({
      code: 'no_trigger',
      message: 'The workflow has no trigger: add a trigger node so it can start',
      path: ['nodes'],
    });
  } else {
    reportUnreachable(nodes, links, triggers, issues);
  }
  reportCycles(nodes, links, issues);
}

/** Successor lists by position in `nodes`; edges into triggers are left out (already errors). */
function buildLinks(nodes: readonly LooseNode[], edges: readonly LooseEdge[]): GraphLink[][] {
  const slot = new Map(nodes.map((node, i) => [node.id, i]));
  const links: GraphLink[][] = nodes.map(() => []);
  for (const edge of edges) {
    const from = slot.get(edge.from);
    const to = slot.get(edge.to);
    if (from === undefined || to === undefined) continue;
    const target = nodes[to]!;
    if (target.type && isTrigger(target.type)) continue;
    links[from]!.push({ edgeIndex: edge.index, to });
  }
  return links;
}

function reportUnreachable(
  nodes: readonly LooseNode[],
  links: readonly GraphLink[][],
  triggers: readonly number[],
  issues: ValidationIssue[],
): void {
  const reached = new Uint8Array(nodes.length);
  const queue = [...triggers];
  for (const t of triggers) reached[t] = 1;
  for (let head = 0; head < queue.length; head++) {
    for (const link of links[queue[head]!]!) {
      if (reached[link.to] === 0) {
        reached[link.to] = 1;
        queue.push(link.to);
      }
    }
  }
  nodes.forEach((node, i) => {
    if (reached[i] === 1) return;
    issues.push({
      code: 'unreachable',
      message: `Node "${node.id}" can never run: no path leads to it from a trigger`,
      nodeId: node.id,
      path: ['nodes', node.position],
    });
  });
}

function reportCycles(
  nodes: readonly LooseNode[],
  links: readonly GraphLink[][],
  issues: ValidationIssue[],
): void {
  for (const component of stronglyConnected(links)) {
    const start = Math.min(...component);
    if (component.length === 1 && !links[start]!.some((link) => link.to === start)) continue;
    const members = new Set(component);
    const { cycle, closingEdge } = shortestCycle(start, links, members);
    const names = cycle.map((i) => `"${nodes[i]!.id}"`);
    const others = component.filter((i) => !cycle.includes(i)).sort((a, b) => a - b);
    const also =
      others.length > 0 ? ` (also caught in it: ${others.map((i) => `"${nodes[i]!.id}"`).join(', ')})` : '';
    const message =
      cycle.length === 1
        ? `Node ${names[0]} connects to itself (edge ${closingEdge}); loops are not supported`
        : `Nodes ${[...names, names[0]].join(' → ')} form a loop${also}; loops are not supported`;
    issues.push({
      code: 'cycle',
      message,
      nodeId: nodes[start]!.id,
      field: 'to',
      edgeIndex: closingEdge,
      nodeIds: [...component].sort((a, b) => a - b).map((i) => nodes[i]!.id),
      path: ['edges', closingEdge, 'to'],
    });
  }
}

/** Tarjan's strongly connected components, iterative so deep graphs cannot overflow the stack. */
function stronglyConnected(links: readonly GraphLink[][]): number[][] {
  const n = links.length;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  const enter = (v: number): void => {
    order[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
  };
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    enter(root);
    const work: [node: number, next: number][] = [[root, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const v = frame[0];
      const link = links[v]![frame[1]++];
      if (link !== undefined) {
        const w = link.to;
        if (order[w] === -1) {
          enter(w);
          work.push([w, 0]);
        } else if (onStack[w] === 1) {
          low[v] = Math.min(low[v]!, order[w]!);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] !== order[v]) continue;
      const component: number[] = [];
      let w: number;
      do {
        w = stack.pop()!;
        onStack[w] = 0;
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  }
  return components;
}

/** A shortest way from `start` back to itself inside one component (BFS), to name in messages. */
function shortestCycle(
  start: number,
  links: readonly GraphLink[][],
  members: ReadonlySet<number>,
): { cycle: number[]; closingEdge: number } {
  const parent = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const link of links[v]!) {
      if (link.to === start) {
        const cycle = [v];
        for (let u = v; u !== start;) cycle.push((u = parent.get(u)!));
        return { cycle: cycle.reverse(), closingEdge: link.edgeIndex };
      }
      if (!members.has(link.to) || parent.has(link.to)) continue;
      parent.set(link.to, v);
      queue.push(link.to);
    }
  }
  // Unreachable for a real component; keeps the types honest.
  return { cycle: [start], closingEdge: -1 };
}

// ---------------------------------------------------------------------------
// Wording

/** `Node "x": config.source is required`, or without a field `Workflow is invalid`. */
function sentence(subject: string, field: string | undefined, problem: string): string {
  return field !== undefined ? `${subject}: ${field} ${problem}` : `${subject} ${problem}`;
}

/** zod's own messages start like this; anything else is a schema author's custom message. */
const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized)/;

function describeZodIssue(issue: ZodIssue, value: unknown): string {
  if (!DEFAULT_MESSAGE.test(issue.message)) return `is invalid: ${issue.message}`;
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'is required';
      return `must be ${describeExpected(issue.expected)}, not ${describeValue(value)}`;
    case 'too_small':
      return describeBound(
        issue.origin,
        issue.minimum,
        issue.inclusive !== false,
        issue.exact === true,
        'min',
      );
    case 'too_big':
      return describeBound(
        issue.origin,
        issue.maximum,
        issue.inclusive !== false,
        issue.exact === true,
        'max',
      );
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return 'is not a known field';
    default:
      return `is invalid: ${lowerFirst(issue.message)}`;
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function describeBound(
  origin: string,
  limit: number | bigint,
  inclusive: boolean,
  exact: boolean,
  side: 'min' | 'max',
): string {
  const n = Number(limit);
  if (origin === 'string' || origin === 'array' || origin === 'set') {
    if (side === 'min' && n === 1 && inclusive) return 'must not be empty';
    const unit = origin === 'string' ? 'characters' : 'items';
    const amount = exact
      ? `exactly ${n}`
      : `${side === 'min' ? 'at least' : 'at most'} ${inclusive ? n : side === 'min' ? n + 1 : n - 1}`;
    return origin === 'string' ? `must be ${amount} ${unit} long` : `must have ${amount} ${unit}`;
  }
  if (exact) return `must be ${n}`;
  if (side === 'min') return inclusive ? `must be at least ${n}` : `must be more than ${n}`;
  return inclusive ? `must be at most ${n}` : `must be less than ${n}`;
}

function describeExpected(expected: string): string {
  const words: Record<string, string> = {
    string: 'text',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    array: 'a list',
    tuple: 'a list',
    object: 'an object',
    record: 'an object',
    null: 'null',
  };
  return words[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'text';
    case 'number':
      return Number.isInteger(value) ? 'a number' : `${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** Closest candidate by edit distance, if it is close enough to be a likely typo. */
function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

/** Levenshtein distance with two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

// ---------------------------------------------------------------------------
// Paths

function toPathKey(key: PropertyKey): string | number {
  return typeof key === 'number' ? key : String(key);
}

/** `['config', 'items', 2, 'name']` → `config.items[2].name`. */
function formatField(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`;
  return out;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value = root;
  for (const key of path) {
    if (Array.isArray(value) && typeof key === 'number') value = value[key] as unknown;
    else if (isJsonObject(value) && typeof key === 'string') value = value[key];
    else return undefined;
  }
  return value;
}

function isPrefix(prefix: readonly (string | number)[], path: readonly (string | number)[]): boolean {
  return prefix.length <= path.length && prefix.every((key, i) => key === path[i]);
}

/** Add optional members only when they have a value, so issues stay free of `undefined` keys. */
function withOptional(
  issue: ValidationIssue,
  optional: { nodeId?: string | undefined; field?: string | undefined },
): ValidationIssue {
  if (optional.nodeId !== undefined) issue.nodeId = optional.nodeId;
  if (optional.field !== undefined) issue.field = optional.field;
  return issue;
}
