import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { WorkflowDocumentInput } from '../engine/document.js';
import type { Json } from '../engine/json.js';
import { defineNode } from '../engine/node.js';
import { NodeRegistry } from '../engine/registry.js';
import { validateWorkflow, type ValidationIssue } from '../engine/validate.js';

// A small registry of real node type definitions, enough to exercise every check.
const manualTrigger = defineNode({
  type: 'trigger.manual',
  family: 'trigger',
  title: 'Manual trigger',
  description: 'Starts a run with the given input',
  config: z.object({}),
  run: (_ctx, input) => input,
});

const ifNode = defineNode({
  type: 'logic.if',
  family: 'logic',
  title: 'If',
  description: 'Routes on a json-logic condition',
  config: z.object({ condition: z.unknown() }),
  outputs: ['true', 'false'],
  rawFields: ['condition'],
  run: (ctx, input) => ctx.route(ctx.logic(ctx.config.condition as Json) ? 'true' : 'false', input),
});

const javascript = defineNode({
  type: 'code.javascript',
  family: 'data',
  title: 'JavaScript',
  description: 'Runs code in the sandbox',
  config: z.object({ source: z.string().min(1) }),
  rawFields: ['source'],
  run: async (ctx, input) => (await ctx.sandbox.runCode(ctx.config.source, input)).value,
});

const delay = defineNode({
  type: 'flow.delay',
  family: 'flow',
  title: 'Delay',
  description: 'Waits a number of seconds',
  config: z.object({ seconds: z.number().int().min(1), note: z.string().optional() }),
  run: (_ctx, input) => input,
});

const switchNode = defineNode({
  type: 'logic.switch',
  family: 'logic',
  title: 'Switch',
  description: 'Routes to the port named after the matching case',
  config: z.object({ cases: z.array(z.string().min(1)) }),
  outputs: (config) => [...config.cases, 'default'],
  run: (ctx, input) => ctx.route('default', input),
});

const registry = new NodeRegistry([manualTrigger, ifNode, javascript, delay, switchNode]);

/** trigger → active (if) → offer (code) on its true port. */
function validDoc(): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name: 'Trial ending: nudge or upsell',
    nodes: [
      { id: 'trigger', type: 'trigger.manual', position: { x: 0, y: 0 } },
      { id: 'active', type: 'logic.if', config: { condition: { '>=': [{ var: 'input.score' }, 60] } } },
      {
        id: 'offer',
        type: 'code.javascript',
        config: { source: 'return { plan: "starter" }' },
        onError: 'route',
      },
    ],
    edges: [
      { from: 'trigger', to: 'active' },
      { from: 'active', fromPort: 'true', to: 'offer' },
    ],
  };
}

function nodeOf(doc: WorkflowDocumentInput, id: string): WorkflowDocumentInput['nodes'][number] {
  const node = doc.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`test document has no node ${id}`);
  return node;
}

function issuesOf(input: unknown): ValidationIssue[] {
  const result = validateWorkflow(input, registry);
  expect(result.ok).toBe(false);
  return result.issues;
}

/** The only issue with this code; fails the test when there is none or more than one. */
function single(issues: ValidationIssue[], code: string): ValidationIssue {
  const matching = issues.filter((issue) => issue.code === code);
  expect(matching, JSON.stringify(issues, null, 2)).toHaveLength(1);
  return matching[0]!;
}

describe('validateWorkflow: a valid document', () => {
  it('passes and comes back with defaults applied', () => {
    const result = validateWorkflow(validDoc(), registry);
    expect(result.issues).toEqual([]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.document.settings).toEqual({});
    expect(result.document.edges[0]).toEqual({
      from: 'trigger',
      fromPort: 'out',
      to: 'active',
      toPort: 'in',
    });
    expect(result.document.edges[1]).toMatchObject({ fromPort: 'true', toPort: 'in' });
    expect(result.document.nodes[0]!.config).toEqual({});
  });

  it('accepts an edge from the error port of a node whose onError is "route"', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'alert', type: 'flow.delay', config: { seconds: 1 } });
    doc.edges.push({ from: 'offer', fromPort: 'error', to: 'alert' });
    expect(validateWorkflow(doc, registry).ok).toBe(true);
  });

  it('accepts ports that depend on the config', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'plan', type: 'logic.switch', config: { cases: ['starter', 'pro'] } });
    doc.edges.push({ from: 'trigger', to: 'plan' }, { from: 'plan', fromPort: 'pro', to: 'offer' });
    expect(validateWorkflow(doc, registry).issues).toEqual([]);
  });

  it('lets a template stand in a number field: it is checked after evaluation at run time', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'wait', type: 'flow.delay', config: { seconds: '{{ input.waitSeconds }}' } });
    doc.edges.push({ from: 'offer', to: 'wait' });
    expect(validateWorkflow(doc, registry).issues).toEqual([]);
  });
});

describe('validateWorkflow: document shape', () => {
  it('rejects something that is not an object', () => {
    expect(single(issuesOf('nope'), 'invalid_document').path).toEqual([]);
  });

  it('reports a missing name for the workflow', () => {
    const doc: Record<string, unknown> = { ...validDoc() };
    delete doc.name;
    const issue = single(issuesOf(doc), 'invalid_document');
    expect(issue).toMatchObject({ field: 'name', path: ['name'] });
    expect(issue.message).toBe('Workflow: name is required');
  });

  it('reports a bad node field with the node id and the field inside the node', () => {
    const doc = validDoc();
    nodeOf(doc, 'offer').retry = { maxAttempts: 0 };
    const issue = single(issuesOf(doc), 'invalid_node');
    expect(issue).toMatchObject({
      nodeId: 'offer',
      field: 'retry.maxAttempts',
      path: ['nodes', 2, 'retry', 'maxAttempts'],
    });
    expect(issue.message).toBe('Node "offer": retry.maxAttempts must be at least 1');
  });

  it('reports a bad edge field with the edge index', () => {
    const doc = validDoc();
    (doc.edges[1] as Record<string, unknown>).to = 42;
    const issue = single(issuesOf(doc), 'invalid_edge');
    expect(issue).toMatchObject({ edgeIndex: 1, field: 'to', path: ['edges', 1, 'to'] });
  });

  it('reports a bad workflow setting', () => {
    const doc = validDoc();
    doc.settings = { concurrency: 0 };
    const issue = single(issuesOf(doc), 'invalid_settings');
    expect(issue).toMatchObject({ field: 'settings.concurrency', path: ['settings', 'concurrency'] });
    expect(issue.message).toBe('Workflow: settings.concurrency must be at least 1');
  });

  it('returns the parsed document alongside issues when only the graph is wrong', () => {
    const doc = validDoc();
    doc.edges.pop();
    const result = validateWorkflow(doc, registry);
    expect(result.ok).toBe(false);
    expect(result.document?.edges[0]?.fromPort).toBe('out');
  });
});

describe('validateWorkflow: nodes', () => {
  it('reports a node id used twice', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'offer', type: 'flow.delay', config: { seconds: 5 } });
    const issue = single(issuesOf(doc), 'duplicate_node_id');
    expect(issue).toMatchObject({ nodeId: 'offer', field: 'id', path: ['nodes', 3, 'id'] });
  });

  it('reports an unknown node type and suggests a close match', () => {
    const doc = validDoc();
    nodeOf(doc, 'active').type = 'logic.iff';
    const issue = single(issuesOf(doc), 'unknown_node_type');
    expect(issue).toMatchObject({ nodeId: 'active', field: 'type', path: ['nodes', 1, 'type'] });
    expect(issue.message).toContain('did you mean "logic.if"?');
  });

  it('suggests nothing when no type is close', () => {
    const doc = validDoc();
    nodeOf(doc, 'active').type = 'crm.hubspotUpsert';
    expect(single(issuesOf(doc), 'unknown_node_type').message).not.toContain('did you mean');
  });

  it('reports a missing required config field by node and field', () => {
    const doc = validDoc();
    nodeOf(doc, 'offer').config = {};
    const issue = single(issuesOf(doc), 'invalid_config');
    expect(issue).toMatchObject({
      nodeId: 'offer',
      field: 'config.source',
      path: ['nodes', 2, 'config', 'source'],
    });
    expect(issue.message).toBe('Node "offer": config.source is required');
  });

  it('reports a config value of the wrong type', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'wait', type: 'flow.delay', config: { seconds: 'soon' } });
    doc.edges.push({ from: 'offer', to: 'wait' });
    const issue = single(issuesOf(doc), 'invalid_config');
    expect(issue).toMatchObject({ nodeId: 'wait', field: 'config.seconds' });
    expect(issue.message).toBe('Node "wait": config.seconds must be a number, not text');
  });

  it('still checks the rest of a config that holds a template', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'wait', type: 'flow.delay', config: { seconds: '{{ input.s }}', note: 5 } });
    doc.edges.push({ from: 'offer', to: 'wait' });
    expect(single(issuesOf(doc), 'invalid_config').field).toBe('config.note');
  });

  it('reports a template that does not parse', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'wait', type: 'flow.delay', config: { seconds: '{{ input.s ' } });
    doc.edges.push({ from: 'offer', to: 'wait' });
    const issues = issuesOf(doc);
    const issue = single(issues, 'invalid_expression');
    expect(issue).toMatchObject({
      nodeId: 'wait',
      field: 'config.seconds',
      path: ['nodes', 3, 'config', 'seconds'],
    });
    expect(issue.message).toContain('never closed');
    // The broken template is one problem, not also a type error.
    expect(issues.filter((i) => i.code === 'invalid_config')).toEqual([]);
  });

  it('does not treat "{{" in a raw field (code) as a template', () => {
    const doc = validDoc();
    nodeOf(doc, 'offer').config = { source: 'return "{{ not closed"' };
    expect(validateWorkflow(doc, registry).ok).toBe(true);
  });
});

describe('validateWorkflow: edges', () => {
  it('reports an edge to an unknown node, with a suggestion', () => {
    const doc = validDoc();
    doc.edges[1]!.to = 'ofer';
    const issue = single(issuesOf(doc), 'dangling_edge');
    expect(issue).toMatchObject({ edgeIndex: 1, field: 'to', nodeId: 'active', path: ['edges', 1, 'to'] });
    expect(issue.message).toBe('Edge 1 points to unknown node "ofer" — did you mean "offer"?');
  });

  it('reports an edge from an unknown node', () => {
    const doc = validDoc();
    doc.edges[1]!.from = 'ghost';
    const issue = single(issuesOf(doc), 'dangling_edge');
    expect(issue).toMatchObject({ edgeIndex: 1, field: 'from', path: ['edges', 1, 'from'] });
  });

  it('reports the same edge drawn twice', () => {
    const doc = validDoc();
    doc.edges.push({ from: 'trigger', fromPort: 'out', to: 'active', toPort: 'in' });
    const issue = single(issuesOf(doc), 'duplicate_edge');
    expect(issue).toMatchObject({ edgeIndex: 2, nodeId: 'trigger', path: ['edges', 2] });
  });

  it('reports an output port the node does not have', () => {
    const doc = validDoc();
    doc.edges[1]!.fromPort = 'yes';
    const issue = single(issuesOf(doc), 'unknown_port');
    expect(issue).toMatchObject({ edgeIndex: 1, nodeId: 'active', field: 'fromPort' });
    expect(issue.message).toContain('"true", "false"');
  });

  it('reports an error-port edge from a node whose errors are not routed', () => {
    const doc = validDoc();
    doc.edges.push({ from: 'active', fromPort: 'error', to: 'offer' });
    const issue = single(issuesOf(doc), 'unknown_port');
    expect(issue).toMatchObject({ edgeIndex: 2, nodeId: 'active', field: 'fromPort' });
    expect(issue.message).toContain('onError is "route"');
  });

  it('reports an output port missing from a config-dependent port list', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'plan', type: 'logic.switch', config: { cases: ['starter'] } });
    doc.edges.push({ from: 'trigger', to: 'plan' }, { from: 'plan', fromPort: 'enterprise', to: 'offer' });
    expect(single(issuesOf(doc), 'unknown_port')).toMatchObject({ nodeId: 'plan', edgeIndex: 3 });
  });

  it('reports an input port the node does not have', () => {
    const doc = validDoc();
    doc.edges[1]!.toPort = 'left';
    const issue = single(issuesOf(doc), 'unknown_port');
    expect(issue).toMatchObject({
      edgeIndex: 1,
      nodeId: 'offer',
      field: 'toPort',
      path: ['edges', 1, 'toPort'],
    });
  });

  it('reports an edge into a trigger', () => {
    const doc = validDoc();
    doc.edges.push({ from: 'offer', to: 'trigger' });
    const issues = issuesOf(doc);
    expect(single(issues, 'edge_into_trigger')).toMatchObject({
      edgeIndex: 2,
      nodeId: 'trigger',
      field: 'to',
    });
    // It is neither a port problem nor a loop on top of that.
    expect(issues.map((i) => i.code)).toEqual(['edge_into_trigger']);
  });
});

describe('validateWorkflow: graph', () => {
  it('reports a workflow without a trigger', () => {
    const doc = validDoc();
    doc.nodes = doc.nodes.filter((n) => n.id !== 'trigger');
    doc.edges = doc.edges.filter((e) => e.from !== 'trigger');
    const issues = issuesOf(doc);
    expect(single(issues, 'no_trigger').path).toEqual(['nodes']);
    // Without a trigger, "unreachable" for every node would only be noise.
    expect(issues.filter((i) => i.code === 'unreachable')).toEqual([]);
  });

  it('reports a cycle and names the nodes on it', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'wait', type: 'flow.delay', config: { seconds: 1 } });
    doc.edges.push({ from: 'offer', to: 'wait' }, { from: 'wait', to: 'active' });
    const issue = single(issuesOf(doc), 'cycle');
    expect(issue.nodeId).toBe('active');
    expect(issue.nodeIds).toEqual(['active', 'offer', 'wait']);
    expect(issue.edgeIndex).toBe(3);
    expect(issue.message).toBe(
      'Nodes "active" → "offer" → "wait" → "active" form a loop; loops are not supported',
    );
  });

  it('reports a node wired to itself', () => {
    const doc = validDoc();
    doc.edges.push({ from: 'offer', to: 'offer' });
    expect(single(issuesOf(doc), 'cycle')).toMatchObject({
      nodeId: 'offer',
      nodeIds: ['offer'],
      edgeIndex: 2,
    });
  });

  it('reports each node no trigger can reach', () => {
    const doc = validDoc();
    doc.nodes.push({ id: 'orphan', type: 'flow.delay', config: { seconds: 1 } });
    const issue = single(issuesOf(doc), 'unreachable');
    expect(issue).toMatchObject({ nodeId: 'orphan', path: ['nodes', 3] });
    expect(issue.message).toContain('"orphan"');
  });
});

describe('validateWorkflow: several problems at once', () => {
  it('reports every problem in one pass, each with its node and field', () => {
    const doc = validDoc();
    nodeOf(doc, 'active').type = 'logic.iff';
    nodeOf(doc, 'offer').config = {};
    nodeOf(doc, 'offer').timeoutMs = -5;
    doc.nodes.push({ id: 'wait', type: 'flow.delay', config: { seconds: 'later' } });
    doc.edges.push({ from: 'offer', to: 'ofer' }, { from: 'trigger', fromPort: 'nope', to: 'offer' });
    doc.settings = { timeoutMs: 0 };

    const found = issuesOf(doc).map(({ code, nodeId, field, edgeIndex }) => ({
      code,
      nodeId,
      field,
      edgeIndex,
    }));
    expect(found).toEqual(
      expect.arrayContaining([
        { code: 'invalid_node', nodeId: 'offer', field: 'timeoutMs', edgeIndex: undefined },
        { code: 'invalid_settings', nodeId: undefined, field: 'settings.timeoutMs', edgeIndex: undefined },
        { code: 'unknown_node_type', nodeId: 'active', field: 'type', edgeIndex: undefined },
        { code: 'invalid_config', nodeId: 'offer', field: 'config.source', edgeIndex: undefined },
        { code: 'invalid_config', nodeId: 'wait', field: 'config.seconds', edgeIndex: undefined },
        { code: 'dangling_edge', nodeId: 'offer', field: 'to', edgeIndex: 2 },
        { code: 'unknown_port', nodeId: 'trigger', field: 'fromPort', edgeIndex: 3 },
        { code: 'unreachable', nodeId: 'wait', field: undefined, edgeIndex: undefined },
      ]),
    );
    expect(found).toHaveLength(8);
  });
});
