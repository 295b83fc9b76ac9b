import { describe, expect, it } from 'vitest';
import type { NodeType, WorkflowDocument } from '../canvas/src/api/types.js';
import { highlight } from '../canvas/src/editor/CodeField.js';
import {
  autoLayout,
  defaultConfig,
  fieldKind,
  newNodeId,
  toDocument,
  toGraph,
  wouldCycle,
} from '../canvas/src/editor/model.js';
import { TEMPLATES } from '../canvas/src/pages/templates.js';

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
  const trial = TEMPLATES.find((t) => t.id === 'trial-ending')!.document;

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
});
