import type { z } from 'zod';
import type { RetryPolicy, WorkflowDocument } from './document.js';
import type { Json } from './json.js';

/** Families group node types on the canvas palette. */
export type NodeFamily =
  'trigger' | 'logic' | 'flow' | 'data' | 'action' | 'billing' | 'growth' | 'ai' | 'safety';

/** The kinds of outbound node a safety policy can cover. */
export const outboundKinds = ['email', 'http', 'chat', 'ai'] as const;
export type OutboundKind = (typeof outboundKinds)[number];

/** What an expression can see (DESIGN §3). */
export interface ExpressionScope {
  input: Json;
  trigger: Json;
  /** Outputs of the nodes that have completed so far, by node id. */
  nodes: ReadonlyMap<string, Json>;
  run: Json;
  workspace: Json;
  vars: Json;
}

export interface StepLogger {
  debug(message: string, data?: Json): void;
  info(message: string, data?: Json): void;
  warn(message: string, data?: Json): void;
  error(message: string, data?: Json): void;
}

/**
 * Services a host provides to nodes. Features add their own members with
 * declaration merging (`declare module '../engine/node.js' { interface NodeServices { ... } }`).
 */
export interface NodeServices {
  /** Checks who published a running version (for node types that `requiresRole`); the host provides it. */
  publishers?: PublisherGuard;
}

/** Workspace roles, weakest first: the API's roles, named here so a node type can require one. */
export const nodeRoles = ['viewer', 'member', 'admin', 'owner'] as const;
export type NodeRole = (typeof nodeRoles)[number];

/** Whoever published the running version, with their role in the workspace now. */
export interface Publisher {
  userId: string | null;
  apiKeyId: string | null;
  role: NodeRole;
}

export interface PublisherGuard {
  /** The publisher of `run.versionId`; throws a forbidden error unless they hold `role` now. */
  require(
    run: NodeContext<unknown>['run'],
    node: { id: string; type: string },
    role: NodeRole,
  ): Promise<Publisher>;
}

export interface CodeRunOptions {
  timeoutMs?: number;
  memoryMb?: number;
}

export interface CodeRunResult {
  value: Json;
  logs: string[];
}

/** The sandbox as a node sees it: bound to the current run and workspace. */
export interface NodeSandbox {
  runCode(source: string, input: Json, options?: CodeRunOptions): Promise<CodeRunResult>;
  evaluate(expression: string, scope?: Partial<ExpressionScope>): Json;
}

/** A node's request to emit on named ports instead of `out`. */
export class Routed {
  constructor(
    readonly ports: readonly string[],
    readonly value: Json,
  ) {}
}

export interface WaitSpec {
  /** Resume at this time (delays, timeouts). */
  until?: Date;
  /**
   * Resume when a matching signal arrives (events, approvals, child runs): see engine/waits.ts.
   * `match` is kept with the wait for the host to check signals against (e.g. a correlation value).
   */
  signal?: { kind: string; key: string; match?: Json };
  /** What the node emits when the wait ends by time. */
  onTimeout?: { port: string; value: Json };
  /** State the node gets back in `ctx.resume` when it resumes. */
  state?: Json;
}

/** A node's request to suspend the run until a time or a signal. */
export class Waiting {
  constructor(readonly spec: WaitSpec) {}
}

export type NodeResult = Json | Routed | Waiting;

export interface ResumeInfo {
  reason: 'timer' | 'signal';
  payload: Json;
  state: Json;
}

export interface NodeContext<Config> {
  /** Config with every `{{ expression }}` evaluated. */
  config: Config;
  node: { id: string; type: string; name: string };
  run: { id: string; workflowId: string; versionId: string; workspaceId: string };
  /** Attempt number of this step, from 1. */
  attempt: number;
  /** Stable across retries and crash-resumes: `runId:nodeId`. Pass it to the other side. */
  idempotencyKey: string;
  scope: ExpressionScope;
  log: StepLogger;
  signal: AbortSignal;
  sandbox: NodeSandbox;
  services: NodeServices;
  /** Every input that fired, in edge order, for nodes that combine several (merge). */
  inputs: ReadonlyArray<{ from: string; port: string; toPort: string; value: Json }>;
  /** Set when the step resumes after a wait. */
  resume: ResumeInfo | undefined;
  /** For node types that `requiresRole`: whoever published the version, checked before `run`. */
  publisher?: Publisher;
  /** Evaluate a json-logic rule against the expression scope. */
  logic(rule: Json): Json;
  route(port: string | readonly string[], value?: Json): Routed;
  wait(spec: WaitSpec): Waiting;
}

export interface NodeTypeDefinition<Schema extends z.ZodType = z.ZodType> {
  /** `family.name`, e.g. `logic.if`. */
  type: string;
  family: NodeFamily;
  title: string;
  description: string;
  icon?: string;
  /** Longer help shown on the canvas. */
  docs?: string;
  config: Schema;
  /** Input ports; triggers have none. Default `['in']`. */
  inputs?: readonly string[];
  /** Output ports, possibly depending on the config. Default `['out']`. */
  outputs?: readonly string[] | ((config: z.infer<Schema>) => readonly string[]);
  /** Config fields kept verbatim: no `{{ }}` evaluation (code, json-logic). */
  rawFields?: readonly string[];
  /** Sends, charges, writes elsewhere: committed before anything after it starts. */
  sideEffects?: boolean;
  /**
   * The side effect happens at most once per idempotency key however often the step runs (the
   * node records it, or the other side deduplicates): a step interrupted by crashes is re-run
   * as often as it takes, instead of failing after the second interruption.
   */
  onceByKey?: boolean;
  /**
   * What leaves the building through this node (DESIGN §9): the workspace safety policy names the
   * guardrails every path from a trigger to an outbound node of this kind must pass.
   */
  outbound?: OutboundKind;
  /**
   * The workspace role this node's effect needs, as the route doing the same requires (changing
   * the plan: owner). Publishing refuses a publisher without it; before each run of the step the
   * host checks the role of whoever published the running version, now (a demoted owner's
   * workflow stops changing the plan), and gives the node that `ctx.publisher` for its audit entry.
   */
  requiresRole?: NodeRole;
  /** Default retry policy; a node's own `retry` in the document overrides it. */
  retry?: Partial<RetryPolicy>;
  /** Default step timeout. */
  timeoutMs?: number;
  /** `all` (default): wait for every input that can still fire. `any`: run on the first. */
  join?: 'all' | 'any' | ((config: z.infer<Schema>) => 'all' | 'any');
  run(ctx: NodeContext<z.infer<Schema>>, input: Json): NodeResult | Promise<NodeResult>;
}

export type AnyNodeType = NodeTypeDefinition<z.ZodType>;

/** Declare a node type: the smallest declaration that says everything. */
export function defineNode<Schema extends z.ZodType>(
  definition: NodeTypeDefinition<Schema>,
): NodeTypeDefinition<Schema> {
  return definition;
}

export const roleAtLeast = (role: NodeRole, required: NodeRole): boolean =>
  nodeRoles.indexOf(role) >= nodeRoles.indexOf(required);

export const isTrigger = (nodeType: AnyNodeType): boolean => nodeType.family === 'trigger';

export function inputPortsOf(nodeType: AnyNodeType): readonly string[] {
  return nodeType.inputs ?? (isTrigger(nodeType) ? [] : ['in']);
}

export function outputPortsOf(nodeType: AnyNodeType, config: unknown): readonly string[] {
  const outputs = nodeType.outputs;
  if (outputs === undefined) return ['out'];
  if (typeof outputs === 'function') return outputs(config);
  return outputs;
}

/**
 * What the host's outbound guard is told before an outbound step runs (the safety policy's
 * run-time check): the run, the node, its document and the ports every completed node fired on.
 */
export interface OutboundStepRequest {
  run: { id: string; workflowId: string; versionId: string; workspaceId: string };
  node: { id: string; type: string; outbound: OutboundKind };
  document: WorkflowDocument;
  /** Node id → the ports it fired on (skipped nodes fired none). */
  fired: ReadonlyMap<string, readonly string[]>;
}

/** Throws (a StepFailure with its code) to refuse the step; synchronous when it can answer from memory. */
export type OutboundGuard = (request: OutboundStepRequest) => void | Promise<void>;
