import type { NodeSpec } from '../../../engine/document.js';
import type { ExpressionEnv } from './expressions.js';
import type { Params } from './params.js';

/** An n8n node as exported (packages/workflow/src/Interfaces.ts), read leniently. */
export interface N8nNode {
  id?: string;
  name: string;
  type: string;
  typeVersion: number;
  position?: [number, number];
  parameters: Params;
  disabled?: boolean;
  notes?: string;
  retryOnFail?: boolean;
  maxTries?: number;
  waitBetweenTries?: number;
  onError?: string;
  continueOnFail?: boolean;
  alwaysOutputData?: boolean;
  executeOnce?: boolean;
  credentials?: Record<string, unknown>;
}

export type NodeStatus = 'mapped' | 'partial' | 'unmapped';

/** What became of one n8n node. */
export interface NodeReport {
  name: string;
  n8nType: string;
  typeVersion: number;
  /** The Revflow node id and type it became (helpers it needed are listed in `helpers`). */
  id: string;
  type: string;
  status: NodeStatus;
  /** Why the meaning is not fully kept (partial) or why nothing could be mapped (unmapped). */
  reasons: string[];
  /** What the user still fills in: credentials, a sub-workflow, vars. */
  todo: string[];
  helpers: string[];
}

export interface ImportReport {
  source: 'n8n';
  workflowName: string;
  summary: { nodes: number; mapped: number; partial: number; unmapped: number; stickyNotes: number };
  nodes: NodeReport[];
  /** Workflow-level notes: dropped connections, loops, settings. */
  warnings: string[];
}

/** What a node mapper gets. */
export interface MapContext {
  node: N8nNode;
  params: Params;
  /** The Revflow id this node gets. */
  id: string;
  env: ExpressionEnv;
  /** n8n name → JavaScript of that node's item json in the sandbox, for code preludes. */
  codeRefs: ReadonlyMap<string, string>;
  /** Workflow time zone (settings.timezone), if any. */
  timezone: string | undefined;
  /** The meaning is not fully kept: the node becomes partial. */
  partial(reason: string): void;
  todo(text: string): void;
  /** Translate a parameter value (expressions → templates), recording problems. */
  value(value: unknown): unknown;
  /** A parameter value as one JavaScript expression (for generated code), recording problems. */
  js(value: unknown): string;
  /** A `vars` name an expression reads. */
  usesVar(name: string): void;
}

/** A helper node placed before the mapped node, fed by the same inbound connections. */
export interface HelperNode {
  suffix: string;
  type: string;
  config: Record<string, unknown>;
}

export interface Mapped {
  type: string;
  config: Record<string, unknown>;
  /** Our output port for n8n output index `index` (undefined: that output has no equivalent). */
  port(index: number): string | undefined;
  helpers?: HelperNode[];
  /** Also route our port `port` to the targets of n8n output `sameAs` (Switch fallback to a rule). */
  aliases?: Array<{ port: string; sameAs: number }>;
  /** chooseBranch: which n8n input's connection comes first (its value becomes `input`). */
  firstInput?: number;
  /** Webhook in lastNode mode: answer with the last node's output. */
  respondWithLast?: { status: number };
  /** More trigger nodes for the extra rules of a Schedule Trigger, same targets. */
  extraTriggers?: Array<Record<string, unknown>>;
  /** Loop Over Items: this n8n output (done) fires after the loop body, from where the body looped back. */
  loopDone?: number;
  /** Overrides for the node spec (a node's own timeout). */
  spec?: Partial<Pick<NodeSpec, 'timeoutMs'>>;
}

export type NodeMapper = (ctx: MapContext) => Mapped;

export const singlePort =
  (port = 'out') =>
  (index: number): string | undefined =>
    index === 0 ? port : undefined;
