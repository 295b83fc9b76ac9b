// Over 400 lines: the graph work (ids, connections, loops, responders, cycles, the report) shares one set of maps; the per-node mappers live in map-*.ts.
import type { EdgeSpec, NodeSpec, WorkflowDocumentInput } from '../../../engine/document.js';
import { invalidInput } from '../../../engine/errors.js';
import { translateValue, valueAsJs, type ExpressionEnv } from './expressions.js';
import * as actions from './map-actions.js';
import {
  Unmappable,
  aggregate,
  codeNode,
  cryptoNode,
  dateTime,
  passThrough,
  setNode,
  splitOut,
} from './map-data.js';
import { HELPER_SUFFIX, filterNode, ifNode, mergeNode, switchNode } from './map-logic.js';
import * as triggers from './map-triggers.js';
import { asArray, asNumber, asRecord, asString, type Params } from './params.js';
import type { ImportReport, MapContext, Mapped, N8nNode, NodeMapper, NodeReport } from './types.js';

/** The core n8n nodes the importer maps (issue 19), by type name after `n8n-nodes-base.`. */
export const MAPPERS: Readonly<Record<string, NodeMapper>> = {
  webhook: triggers.webhook,
  manualTrigger: triggers.manualTrigger,
  scheduleTrigger: triggers.scheduleTrigger,
  cron: triggers.cron,
  executeWorkflowTrigger: triggers.executeWorkflowTrigger,
  errorTrigger: triggers.errorTrigger,
  if: ifNode,
  filter: filterNode,
  switch: switchNode,
  merge: mergeNode,
  set: setNode,
  code: codeNode,
  function: codeNode,
  functionItem: codeNode,
  splitOut,
  aggregate,
  dateTime,
  crypto: cryptoNode,
  noOp: (ctx) => passThrough(ctx, 'No Op'),
  httpRequest: actions.httpRequest,
  respondToWebhook: actions.respondToWebhook,
  emailSend: actions.emailSend,
  wait: actions.waitNode,
  stopAndError: actions.stopAndError,
  executeWorkflow: actions.executeWorkflow,
  splitInBatches: actions.splitInBatches,
};

const STICKY = 'n8n-nodes-base.stickyNote';
const PREFIX = 'n8n-nodes-base.';
/** What one import may hold: the document's own bounds (engine/document.ts). */
export const IMPORT_LIMITS = { nodes: 2_000, edges: 10_000, depth: 64 } as const;

export interface ImportResult {
  document: WorkflowDocumentInput;
  report: ImportReport;
}

interface RawEdge {
  from: string;
  out: number;
  to: string;
  in: number;
}

/** Refuse, with the field, what no workflow is: too deep, too many nodes, not n8n's shape. */
function checkShape(raw: unknown): { nodes: unknown[]; connections: Params; name: string; settings: Params } {
  const stack: Array<[unknown, number]> = [[raw, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > IMPORT_LIMITS.depth)
      throw invalidInput('document', `nested deeper than ${IMPORT_LIMITS.depth} levels`);
    if (value !== null && typeof value === 'object')
      for (const item of Object.values(value))
        if (item !== null && typeof item === 'object') stack.push([item, depth + 1]);
  }
  const record = asRecord(raw);
  if (!Array.isArray(record.nodes)) throw invalidInput('nodes', 'an n8n workflow has a "nodes" list');
  if (record.nodes.length > IMPORT_LIMITS.nodes)
    throw invalidInput(
      'nodes',
      `at most ${IMPORT_LIMITS.nodes} nodes can be imported (this file has ${record.nodes.length})`,
    );
  return {
    nodes: record.nodes,
    connections: asRecord(record.connections),
    name: asString(record.name) ?? '',
    settings: asRecord(record.settings),
  };
}

function readNode(value: unknown): N8nNode | undefined {
  const record = asRecord(value);
  const name = asString(record.name);
  const type = asString(record.type);
  if (!name || !type) return undefined;
  const position = asArray(record.position).map((n) => asNumber(n) ?? 0);
  return {
    ...(record as Partial<N8nNode>),
    name: name.slice(0, 200),
    type,
    typeVersion: asNumber(record.typeVersion) ?? 1,
    parameters: asRecord(record.parameters),
    ...(position.length >= 2 ? { position: [position[0]!, position[1]!] as [number, number] } : {}),
  };
}

function slug(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
    .slice(0, 48);
  return /^[A-Za-z_]/.test(base) ? base : `n${base}`.slice(0, 48) || 'node';
}

const clamp = (value: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, Math.round(value)));

/** Convert an n8n workflow export to a Revflow draft and a per-node report. Throws only for shape/size. */
export function importN8nWorkflow(raw: unknown): ImportResult {
  const shape = checkShape(raw);
  const warnings: string[] = [];
  const stickies: string[] = [];
  const nodes = new Map<string, N8nNode>();
  shape.nodes.forEach((value, index) => {
    const node = readNode(value);
    if (!node) return void warnings.push(`nodes[${index}] has no name or type and was skipped`);
    if (node.type === STICKY) {
      const content = asString(node.parameters.content)?.trim();
      if (content) stickies.push(content);
      return;
    }
    if (nodes.has(node.name)) return void warnings.push(`a second node named "${node.name}" was skipped`);
    nodes.set(node.name, node);
  });

  // Ids: slugs of the names, unique, with room for the helper nodes some mappers add.
  const ids = new Map<string, string>();
  const taken = new Set<string>(['respond_last']);
  const reserve = (base: string): string => {
    let id = base;
    for (let n = 2; taken.has(id) || taken.has(`${id}_${HELPER_SUFFIX}`) || taken.has(`${id}_2`); n++)
      id = `${base}_${n}`;
    taken.add(id);
    taken.add(`${id}_${HELPER_SUFFIX}`);
    taken.add(`${id}_2`);
    return id;
  };
  for (const name of nodes.keys()) ids.set(name, reserve(slug(name)));

  // Connections: { [source]: { main: [[{ node, type, index }] | null] } }.
  const raws: RawEdge[] = [];
  const dropped = new Map<string, string[]>();
  const dropFor = (name: string, reason: string): void => {
    dropped.set(name, [...(dropped.get(name) ?? []), reason]);
  };
  for (const [source, byType] of Object.entries(shape.connections)) {
    if (!nodes.has(source)) continue;
    for (const [kind, outputs] of Object.entries(asRecord(byType))) {
      if (kind !== 'main') {
        dropFor(source, `its ${kind} connections (AI sub-nodes) have no equivalent`);
        continue;
      }
      asArray(outputs).forEach((targets, out) => {
        for (const target of asArray(targets)) {
          const t = asRecord(target);
          const to = asString(t.node);
          if (!to || !nodes.has(to)) continue;
          if (raws.length >= IMPORT_LIMITS.edges)
            throw invalidInput('connections', `at most ${IMPORT_LIMITS.edges} connections can be imported`);
          raws.push({ from: source, out, to, in: Math.max(0, Math.trunc(asNumber(t.index) ?? 0)) });
        }
      });
    }
  }

  const typeOf = (node: N8nNode): string =>
    node.type.startsWith(PREFIX) ? node.type.slice(PREFIX.length) : node.type;
  const suffix = (name: string): string => {
    const node = nodes.get(name)!;
    return typeOf(node) === 'httpRequest' && !node.disabled ? actions.httpBodySuffix(node) : '';
  };
  const refJs = (name: string): string | undefined =>
    ids.has(name) ? `nodes[${JSON.stringify(ids.get(name))}].output${suffix(name)}` : undefined;
  const codeRefs = new Map(
    [...nodes.keys()].map((name) => [
      name,
      `nodes[${JSON.stringify(ids.get(name))}]?.output${suffix(name).replace('.', '?.')}`,
    ]),
  );
  const upstream = new Map<string, string>();
  for (const edge of [...raws].sort((a, b) => a.in - b.in))
    if (!upstream.has(edge.to)) upstream.set(edge.to, edge.from);

  const specs: NodeSpec[] = [];
  const reports: NodeReport[] = [];
  const mappedBy = new Map<string, Mapped>();
  const errorIndex = new Map<string, number>();
  const vars = new Set<string>();
  const timezone = asString(shape.settings.timezone);

  for (const node of nodes.values()) {
    const id = ids.get(node.name)!;
    const up = upstream.get(node.name);
    const env: ExpressionEnv = { inputBase: `input${up ? suffix(up) : ''}`, nodeRef: refJs };
    const report: NodeReport = {
      name: node.name,
      n8nType: node.type,
      typeVersion: node.typeVersion,
      id,
      type: '',
      status: 'mapped',
      reasons: [...(dropped.get(node.name) ?? [])],
      todo: [],
      helpers: [],
    };
    const ctx: MapContext = {
      node,
      params: node.parameters,
      id,
      env,
      codeRefs,
      timezone,
      partial: (reason) => void (report.reasons.includes(reason) || report.reasons.push(reason)),
      todo: (text) => void (report.todo.includes(text) || report.todo.push(text)),
      usesVar: (name) => void vars.add(name),
      value: (value) => {
        const translated = translateValue(value, env);
        translated.problems.forEach((problem) => ctx.partial(problem));
        translated.todos.forEach((todo) => ctx.todo(todo));
        translated.vars.forEach((name) => vars.add(name));
        return translated.value;
      },
      js: (value) => {
        const acc = { problems: [] as string[], todos: [] as string[], vars: [] as string[] };
        const code = valueAsJs(value, env, acc);
        acc.problems.forEach((problem) => ctx.partial(problem));
        acc.todos.forEach((todo) => ctx.todo(todo));
        acc.vars.forEach((name) => vars.add(name));
        return code;
      },
    };
    const type = typeOf(node);
    const mapper = node.type.startsWith(PREFIX) ? MAPPERS[type] : undefined;
    let mapped: Mapped;
    try {
      if (node.disabled) {
        const trigger = /trigger$|^webhook$|^cron$/i.test(type);
        mapped = trigger ? triggers.manualTrigger() : passThrough(ctx, 'Disabled in n8n');
        ctx.todo(
          trigger
            ? 'disabled in n8n: imported as a manual trigger'
            : 'disabled in n8n: passes its input on, as n8n does',
        );
      } else if (!mapper) {
        throw new Unmappable(`the n8n node type ${node.type} has no Revflow equivalent`);
      } else mapped = mapper(ctx);
    } catch (error) {
      const reason =
        error instanceof Unmappable ? error.message : `it could not be read: ${(error as Error).message}`;
      report.status = 'unmapped';
      report.reasons.unshift(reason);
      mapped = placeholder(node, reason);
    }
    const spec: NodeSpec = { id, type: mapped.type, name: node.name, config: mapped.config, ...mapped.spec };
    if (node.position) spec.position = { x: node.position[0], y: node.position[1] };
    const notes = [asString(node.notes), report.status === 'unmapped' ? originalOf(node) : undefined].filter(
      Boolean,
    );
    if (notes.length > 0) spec.notes = notes.join('\n\n').slice(0, 10_000);
    if (node.retryOnFail === true && report.status !== 'unmapped')
      spec.retry = {
        maxAttempts: clamp(asNumber(node.maxTries) ?? 3, 1, 20),
        backoff: 'fixed',
        initialDelayMs: clamp(asNumber(node.waitBetweenTries) ?? 1000, 0, 3_600_000),
      };
    const onError = node.onError ?? (node.continueOnFail === true ? 'continueRegularOutput' : undefined);
    if (onError === 'continueRegularOutput') spec.onError = 'continue';
    if (onError === 'continueErrorOutput') {
      spec.onError = 'route';
      let index = 0;
      while (index < 64 && mapped.port(index) !== undefined) index += 1;
      errorIndex.set(node.name, index);
    }
    if (node.alwaysOutputData === true)
      ctx.todo('"always output data": nodes after it run only when it outputs');
    report.type = mapped.type;
    if (report.status !== 'unmapped' && report.reasons.length > 0) report.status = 'partial';
    specs.push(spec);
    mappedBy.set(node.name, mapped);
    for (const helper of mapped.helpers ?? []) {
      const helperId = `${id}_${helper.suffix}`;
      report.helpers.push(helperId);
      specs.push({
        id: helperId,
        type: helper.type,
        name: `${node.name} (conditions)`.slice(0, 200),
        config: helper.config,
        ...(spec.position ? { position: { x: spec.position.x - 40, y: spec.position.y + 140 } } : {}),
      });
    }
    (mapped.extraTriggers ?? []).forEach((config, n) => {
      const extraId = n === 0 ? `${id}_2` : reserve(`${id}_rule${n + 2}`);
      report.helpers.push(extraId);
      specs.push({
        id: extraId,
        type: mapped.type,
        name: `${node.name} (rule ${n + 2})`.slice(0, 200),
        config,
      });
    });
    reports.push(report);
  }

  const edges = buildEdges(raws, ids, mappedBy, errorIndex, reports, warnings);
  addLastNodeResponders(specs, edges, ids, mappedBy);
  breakCycles(specs, edges, reports, warnings);

  const settings: Record<string, unknown> = {};
  if (vars.size > 0) settings.vars = Object.fromEntries([...vars].map((name) => [name, '']));
  const timeout = asNumber(shape.settings.executionTimeout);
  if (timeout !== undefined && timeout > 0) settings.timeoutMs = clamp(timeout * 1000, 1, 30 * 86_400_000);
  const description = [
    `Imported from n8n${shape.name ? ` ("${shape.name}")` : ''}.`,
    ...stickies.map((text) => `Note: ${text}`),
  ]
    .join('\n\n')
    .slice(0, 10_000);
  const count = (status: NodeReport['status']): number => reports.filter((r) => r.status === status).length;
  return {
    document: {
      schemaVersion: 1,
      name: (shape.name.trim() || 'Imported from n8n').slice(0, 200),
      description,
      nodes: specs,
      edges,
      settings,
    },
    report: {
      source: 'n8n',
      workflowName: shape.name.slice(0, 200),
      summary: {
        nodes: reports.length,
        mapped: count('mapped'),
        partial: count('partial'),
        unmapped: count('unmapped'),
        stickyNotes: stickies.length,
      },
      nodes: reports,
      warnings,
    },
  };
}

function originalOf(node: N8nNode): string {
  return `n8n parameters of ${node.type} v${node.typeVersion}: ${JSON.stringify(node.parameters).slice(0, 8_000)}`;
}

/** An unmapped node keeps its place and connections, and fails clearly if run. */
function placeholder(node: N8nNode, reason: string): Mapped {
  const message = `The n8n node "${node.name}" (${node.type}) was not imported: ${reason}. Replace it.`;
  return {
    type: 'code.javascript',
    config: { source: `throw new Error(${JSON.stringify(message.slice(0, 1_000))});` },
    port: (index) => (index === 0 ? 'out' : undefined),
  };
}

function buildEdges(
  raws: readonly RawEdge[],
  ids: ReadonlyMap<string, string>,
  mappedBy: ReadonlyMap<string, Mapped>,
  errorIndex: ReadonlyMap<string, number>,
  reports: NodeReport[],
  warnings: string[],
): EdgeSpec[] {
  const reportOf = (name: string): NodeReport | undefined => reports.find((r) => r.name === name);
  const partial = (name: string, reason: string): void => {
    const report = reportOf(name);
    if (!report || report.reasons.includes(reason)) return;
    report.reasons.push(reason);
    if (report.status === 'mapped') report.status = 'partial';
  };
  // Loop Over Items: `done` fires from where the body looped back; the back edge itself goes.
  const removed = new Set<RawEdge>();
  const extra: RawEdge[] = [];
  for (const [name, mapped] of mappedBy) {
    if (mapped.loopDone === undefined) continue;
    const reach = reachable(name, raws);
    const back = raws.filter((edge) => edge.to === name && reach.has(edge.from));
    const done = raws.filter((edge) => edge.from === name && edge.out === mapped.loopDone);
    for (const edge of [...back, ...done]) removed.add(edge);
    for (const b of back) for (const d of done) extra.push({ from: b.from, out: b.out, to: d.to, in: d.in });
    if (back.length === 0 && done.length > 0)
      for (const d of done) extra.push({ from: name, out: 1, to: d.to, in: d.in });
  }
  const edges: Array<EdgeSpec & { order: number }> = [];
  const add = (edge: RawEdge, port: string): void => {
    const target = mappedBy.get(edge.to)!;
    const first = target.firstInput;
    const order = first === undefined ? edge.in : edge.in === first ? -1 : edge.in;
    edges.push({ from: ids.get(edge.from)!, fromPort: port, to: ids.get(edge.to)!, toPort: 'in', order });
  };
  for (const edge of [...raws.filter((e) => !removed.has(e)), ...extra]) {
    const source = mappedBy.get(edge.from)!;
    const port = edge.out === errorIndex.get(edge.from) ? 'error' : source.port(edge.out);
    if (port === undefined) {
      partial(edge.from, `output ${edge.out} has no equivalent: its connection to "${edge.to}" was dropped`);
      continue;
    }
    add(edge, port);
    for (const alias of source.aliases ?? []) if (alias.sameAs === edge.out) add(edge, alias.port);
  }
  // Inputs in n8n's order (Merge input 1 before input 2); helpers fed like the node, then feeding it.
  const stable = edges.map((edge, index) => ({ edge, index }));
  stable.sort((a, b) =>
    a.edge.to === b.edge.to ? a.edge.order - b.edge.order || a.index - b.index : a.index - b.index,
  );
  const out: EdgeSpec[] = [];
  const seen = new Set<string>();
  for (const { edge } of stable) {
    const key = `${edge.from}|${edge.fromPort}|${edge.to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ from: edge.from, fromPort: edge.fromPort, to: edge.to, toPort: 'in' });
  }
  for (const report of reports) {
    for (const helperId of report.helpers.filter((h) => h.endsWith(`_${HELPER_SUFFIX}`))) {
      const inbound = out.filter((edge) => edge.to === report.id);
      for (const edge of inbound) out.push({ ...edge, to: helperId });
      out.push({ from: helperId, fromPort: 'out', to: report.id, toPort: 'in' });
    }
    for (const extraId of report.helpers.filter((h) => !h.endsWith(`_${HELPER_SUFFIX}`))) {
      for (const edge of out.filter((e) => e.from === report.id)) out.push({ ...edge, from: extraId });
    }
  }
  if (out.length > IMPORT_LIMITS.edges) {
    warnings.push(`more than ${IMPORT_LIMITS.edges} connections after mapping: the rest were dropped`);
    out.length = IMPORT_LIMITS.edges;
  }
  return out;
}

function reachable(start: string, raws: readonly RawEdge[]): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const name = stack.pop()!;
    for (const edge of raws)
      if (edge.from === name && !seen.has(edge.to)) {
        seen.add(edge.to);
        stack.push(edge.to);
      }
  }
  return seen;
}

/** Webhook "respond when the last node finishes": a Respond node after every last node it reaches. */
function addLastNodeResponders(
  specs: NodeSpec[],
  edges: EdgeSpec[],
  ids: ReadonlyMap<string, string>,
  mappedBy: ReadonlyMap<string, Mapped>,
): void {
  for (const [name, mapped] of mappedBy) {
    if (!mapped.respondWithLast) continue;
    const start = ids.get(name)!;
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length > 0) {
      const id = stack.pop()!;
      for (const edge of edges)
        if (edge.from === id && !seen.has(edge.to)) {
          seen.add(edge.to);
          stack.push(edge.to);
        }
    }
    const leaves = [...seen].filter((id) => {
      const spec = specs.find((s) => s.id === id);
      return spec && spec.type !== 'flow.stop' && !edges.some((edge) => edge.from === id);
    });
    const respondId = specs.some((s) => s.id === 'respond_last')
      ? `respond_last_${start}`.slice(0, 64)
      : 'respond_last';
    specs.push({
      id: respondId,
      type: 'webhook.respond',
      name: 'Respond with the last node',
      config: { status: mapped.respondWithLast.status },
      notes: `n8n's webhook "${name}" answered when the last node finished; this node gives that answer.`,
    });
    for (const leaf of leaves) edges.push({ from: leaf, fromPort: 'out', to: respondId, toPort: 'in' });
  }
}

/** Documents have no cycles: a connection that closes one is cut and reported on its target. */
function breakCycles(
  specs: readonly NodeSpec[],
  edges: EdgeSpec[],
  reports: NodeReport[],
  warnings: string[],
): void {
  const state = new Map<string, 1 | 2>();
  const cut = new Set<EdgeSpec>();
  const from = new Map<string, EdgeSpec[]>();
  for (const edge of edges) from.set(edge.from, [...(from.get(edge.from) ?? []), edge]);
  for (const root of specs.map((s) => s.id)) {
    if (state.has(root)) continue;
    const stack: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const edge = from.get(frame.id)?.[frame.next++];
      if (!edge) {
        state.set(frame.id, 2);
        stack.pop();
        continue;
      }
      const seen = state.get(edge.to);
      if (seen === 1) cut.add(edge);
      else if (seen === undefined) {
        state.set(edge.to, 1);
        stack.push({ id: edge.to, next: 0 });
      }
    }
  }
  for (const edge of cut) {
    edges.splice(edges.indexOf(edge), 1);
    if (warnings.length > 200) continue;
    warnings.push(
      `the loop from "${edge.from}" back to "${edge.to}" was cut: Revflow workflows have no cycles`,
    );
    const report = reports.find((r) => r.id === edge.to || r.helpers.includes(edge.to));
    if (report) {
      report.reasons.push(
        `a loop back into it from "${edge.from}" was cut (use For each with a sub-workflow)`,
      );
      if (report.status === 'mapped') report.status = 'partial';
    }
  }
}
