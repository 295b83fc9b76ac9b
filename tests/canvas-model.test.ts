import { describe, expect, it } from 'vitest';
import type { NodeType, RunWithSteps, Step, WorkflowDocument } from '../canvas/src/api/types.js';
import { highlight } from '../canvas/src/editor/CodeField.js';
import { diffDocuments, isEmptyDiff } from '../canvas/src/editor/diff.js';
import { expressionSuggestions, fieldPaths, runSample } from '../canvas/src/editor/expressions.js';
import {
  applyCanvasNodeChanges,
  autoLayout,
  defaultConfig,
  fieldKind,
  keepMeasurements,
  newNodeId,
  toDocument,
  toGraph,
  wouldCycle,
} from '../canvas/src/editor/model.js';

/** The canvas's pure logic: document ↔ graph, ids, cycles, layout, form kinds. */
const ifType: NodeType = {
  type: 'logic.if',
  family: 'logic',
  title: 'If',
  description: '',
  docs: null,
  icon: null,
  configSchema: {
    type: 'object',
    properties: { condition: { format: 'json-logic' } },
    required: ['condition'],
  },
  inputs: ['in'],
  outputs: ['true', 'false'],
  dynamicOutputs: false,
  sideEffects: false,
  rawFields: ['condition'],
};

describe('canvas model', () => {
  // A trigger → if → code | set graph (the shape of the old "Trial ending" canvas template, issue 19).
  const trial: WorkflowDocument = {
    schemaVersion: 1,
    name: 'Trial ending: nudge or upsell',
    nodes: [
      { id: 'trigger', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
      {
        id: 'active',
        type: 'logic.if',
        config: { condition: { '>=': [{ var: 'input.activationScore' }, 60] } },
        position: { x: 260, y: 0 },
      },
      {
        id: 'offer',
        type: 'code.javascript',
        config: { source: "return { plan: input.usagePct > 80 ? 'professional' : 'starter' }" },
        retry: { maxAttempts: 3, backoff: 'exponential', initialDelayMs: 500 },
        timeoutMs: 2000,
        position: { x: 520, y: -80 },
      },
      {
        id: 'nudge',
        type: 'data.set',
        config: { keepInput: false, fields: [{ name: 'message', value: 'Hi {{ input.account }}' }] },
        position: { x: 520, y: 80 },
      },
    ],
    edges: [
      { from: 'trigger', to: 'active' },
      { from: 'active', fromPort: 'true', to: 'offer' },
      { from: 'active', fromPort: 'false', to: 'nudge' },
    ],
    settings: { timeoutMs: 60000, concurrency: 20 },
  };

  it('turns a document into a graph and back without loss', () => {
    const graph = toGraph(trial, new Map([['logic.if', ifType]]));
    expect(graph.nodes.find((n) => n.id === 'active')?.data.outputs).toEqual(['true', 'false']);
    const back = toDocument(graph);
    expect(back.nodes).toEqual(trial.nodes);
    expect(back.edges).toEqual(trial.edges);
    expect(back.settings).toEqual(trial.settings);
  });

  it('adds the error port when errors are routed', () => {
    const doc: WorkflowDocument = {
      schemaVersion: 1,
      name: 'x',
      nodes: [{ id: 'a', type: 'logic.if', config: {}, onError: 'route' }],
      edges: [],
    };
    expect(toGraph(doc, new Map([['logic.if', ifType]])).nodes[0]?.data.outputs).toEqual([
      'true',
      'false',
      'error',
    ]);
  });

  it('makes unique ids from titles', () => {
    expect(newNodeId('Manual trigger', new Set())).toBe('manual_trigger');
    expect(newNodeId('If', new Set(['if', 'if_2']))).toBe('if_3');
    expect(newNodeId('3D chart', new Set())).toBe('n3d_chart');
  });

  it('refuses edges that close a cycle', () => {
    const { edges } = toGraph(trial, new Map());
    expect(wouldCycle(edges, 'offer', 'trigger')).toBe(true);
    expect(wouldCycle(edges, 'offer', 'offer')).toBe(true);
    expect(wouldCycle(edges, 'nudge', 'offer')).toBe(false);
  });

  it('lays nodes out in columns by depth', () => {
    const graph = toGraph(trial, new Map());
    const placed = new Map(autoLayout(graph.nodes, graph.edges).map((n) => [n.id, n.position.x]));
    expect([placed.get('trigger'), placed.get('active'), placed.get('offer'), placed.get('nudge')]).toEqual([
      0, 280, 560, 560,
    ]);
  });

  it('picks a form field for each schema shape and fills defaults', () => {
    expect(fieldKind({ type: 'string', format: 'javascript' })).toBe('code');
    expect(fieldKind({ format: 'json-logic' })).toBe('logic');
    expect(fieldKind({ type: 'string', enum: ['a', 'b'] })).toBe('enum');
    expect(
      fieldKind({ type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } }),
    ).toBe('objectArray');
    expect(fieldKind({ type: 'object', additionalProperties: { type: 'string' } })).toBe('record');
    expect(fieldKind({})).toBe('json');
    expect(
      defaultConfig({
        type: 'object',
        properties: {
          source: { type: 'string', format: 'javascript' },
          mode: { type: 'string', default: 'first' },
        },
      }),
    ).toEqual({
      source: 'return input;',
      mode: 'first',
    });
  });

  it('highlights JavaScript tokens', () => {
    const parts = highlight("return 'x' // done");
    expect(parts.length).toBeGreaterThan(3);
  });

  it('renders credential fields as a credential picker', () => {
    expect(fieldKind({ type: 'string', format: 'credential' })).toBe('credential');
  });

  it('estimates each node’s handles so a big graph draws only what is on screen, then forgets them', () => {
    const graph = toGraph(trial, new Map([['logic.if', ifType]]));
    const active = graph.nodes.find((n) => n.id === 'active')!;
    expect(active.handles?.map((h) => [h.type, h.id])).toEqual([
      ['target', 'in'],
      ['source', 'true'],
      ['source', 'false'],
    ]);
    expect(active.initialWidth).toBeGreaterThan(0);
    const measured = applyCanvasNodeChanges(
      [{ type: 'dimensions', id: 'active', dimensions: { width: 200, height: 90 }, setAttributes: true }],
      graph.nodes,
    );
    const after = measured.find((n) => n.id === 'active')!;
    expect(after.handles).toBeUndefined();
    expect(after.measured).toEqual({ width: 200, height: 90 });
    // The others keep their estimates until they are drawn; the document is unchanged.
    expect(measured.find((n) => n.id === 'offer')?.handles).toBeDefined();
    expect(toDocument({ ...graph, nodes: measured }).nodes).toEqual(trial.nodes);

    // A version loaded into the draft keeps what was measured of the nodes already drawn.
    const reloaded = keepMeasurements(toGraph(trial, new Map()).nodes, measured);
    expect(reloaded.find((n) => n.id === 'active')).toMatchObject({ measured: { width: 200, height: 90 } });
    expect(reloaded.find((n) => n.id === 'active')?.handles).toBeUndefined();
    expect(reloaded.find((n) => n.id === 'offer')?.handles).toBeDefined();
  });

  it('diffs two versions node by node and field by field', () => {
    const before: WorkflowDocument = {
      schemaVersion: 1,
      name: 'Flow',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {}, position: { x: 0, y: 0 } },
        {
          id: 'mail',
          type: 'email.send',
          config: { subject: 'Hi', to: 'a@example.com' },
          position: { x: 1, y: 0 },
        },
        { id: 'old', type: 'data.set', config: {} },
      ],
      edges: [
        { from: 'start', to: 'mail' },
        { from: 'mail', to: 'old' },
      ],
      settings: { timeoutMs: 1000 },
    };
    const after: WorkflowDocument = {
      ...before,
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {}, position: { x: 50, y: 0 } },
        {
          id: 'mail',
          type: 'email.send',
          config: { subject: 'Hello', to: 'a@example.com', commercial: true },
          retry: { maxAttempts: 3 },
          position: { x: 1, y: 0 },
        },
        { id: 'new', type: 'data.set', config: {} },
      ],
      edges: [
        { from: 'start', to: 'mail' },
        { from: 'mail', fromPort: 'error', to: 'new' },
      ],
      settings: { timeoutMs: 2000 },
    };
    const diff = diffDocuments(before, after);
    expect(diff.addedNodes).toEqual(['new']);
    expect(diff.removedNodes).toEqual(['old']);
    expect(diff.movedNodes).toEqual(['start']);
    expect(diff.changedNodes).toEqual([
      {
        id: 'mail',
        fields: [
          { path: 'config.commercial', before: undefined, after: true },
          { path: 'config.subject', before: 'Hi', after: 'Hello' },
          { path: 'retry', before: undefined, after: { maxAttempts: 3 } },
        ],
      },
    ]);
    expect(diff.addedEdges).toEqual(['mail.error → new']);
    expect(diff.removedEdges).toEqual(['mail → old']);
    expect(diff.workflow).toEqual([{ path: 'settings.timeoutMs', before: 1000, after: 2000 }]);
    expect(isEmptyDiff(diffDocuments(before, before))).toBe(true);
  });

  it('completes expressions with upstream ids, and with field names the last run recorded', () => {
    const { edges } = toGraph(trial, new Map());
    const bare = expressionSuggestions('offer', edges);
    expect(bare).toEqual(
      expect.arrayContaining([
        '{{ input }}',
        '{{ trigger }}',
        '{{ nodes.active.output }}',
        '{{ nodes.trigger.output }}',
      ]),
    );
    expect(bare).not.toContain('{{ nodes.nudge.output }}');

    const step = (nodeId: string, input: Step['input'], output: Step['output']): Step => ({
      nodeId,
      status: 'succeeded',
      attempts: 1,
      input,
      output,
      ports: ['out'],
      error: null,
      logs: [],
      startedAt: null,
      finishedAt: null,
      durationMs: 1,
    });
    const body = { account: 'acme', usage: { pct: 91 }, 'odd key': 1, tags: [{ name: 'x' }] };
    const run = {
      triggerNodeId: 'trigger',
      input: body,
      steps: [step('trigger', body, { body }), step('active', { body }, { body })],
    } as unknown as RunWithSteps;
    const rich = expressionSuggestions('offer', edges, runSample(run));
    expect(rich).toEqual(
      expect.arrayContaining([
        '{{ input.body.account }}',
        '{{ input.body.usage.pct }}',
        '{{ trigger.body.account }}',
        '{{ nodes.active.output.body.usage }}',
        '{{ nodes.active.output.body["odd key"] }}',
        '{{ nodes.active.output.body.tags[0].name }}',
      ]),
    );
    expect(fieldPaths('x', 'not an object')).toEqual([]);
  });
});
