/**
 * Issue 11 item 3 and 4 at the unit level: sandbox limits only ever go down from the server's,
 * validation names each field that asks for more, and json-logic conditions and templates
 * have budgets (the live attacks are in tests/hardening-sandbox.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowDocument } from '../engine/document.js';
import type { Json } from '../engine/json.js';
import { evaluateLogic, logicBudgets } from '../engine/logic.js';
import { clampLimits } from '../engine/sandbox/isolate-sandbox.js';
import { parseTemplate, templateBudgets, TemplateSyntaxError } from '../engine/templates.js';
import { sandboxLimitWarnings } from '../engine/validate.js';

const server = { memoryMb: 128, cpuTimeoutMs: 1000 };
const scope = {
  input: null,
  trigger: null,
  nodes: new Map<string, Json>(),
  run: null,
  workspace: null,
  vars: null,
};

describe('sandbox limits', () => {
  it('lets a workflow or node lower the server limits and never raise them', () => {
    expect(clampLimits(server, { memoryMb: 64, cpuTimeoutMs: 200 })).toEqual({
      memoryMb: 64,
      cpuTimeoutMs: 200,
    });
    expect(clampLimits(server, { memoryMb: 1024, cpuTimeoutMs: 600_000 })).toEqual(server);
    expect(clampLimits(server, undefined)).toEqual(server);
  });

  it('warns about every field that asks for more than the server gives, naming it', () => {
    const document = {
      schemaVersion: 1,
      name: 'Greedy',
      settings: { sandbox: { cpuTimeoutMs: 8000, memoryMb: 64 } },
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'code', type: 'code.javascript', config: { source: 'return 1' }, sandbox: { memoryMb: 1024 } },
      ],
      edges: [{ from: 'start', to: 'code' }],
    } as unknown as WorkflowDocument;
    const warnings = sandboxLimitWarnings(document, server);
    expect(warnings.map((warning) => [warning.nodeId, warning.field, warning.code])).toEqual([
      [undefined, 'settings.sandbox.cpuTimeoutMs', 'sandbox_limit'],
      ['code', 'sandbox.memoryMb', 'sandbox_limit'],
    ]);
    expect(warnings[0]?.message).toMatch(/8000, above the server's limit of 1000; 1000 applies/);
    expect(warnings[1]?.path).toEqual(['nodes', 1, 'sandbox', 'memoryMb']);
  });
});

describe('condition budgets', () => {
  it('stops nested all over large lists (27 million operations) at the operations budget', () => {
    const list = Array.from({ length: 300 }, (_, i) => i);
    const rule = { all: [list, { all: [list, { all: [list, { '>=': [{ var: '' }, 0] }] }] }] };
    expect(() => evaluateLogic(rule as Json, scope)).toThrow(
      `more than ${logicBudgets.maxOperations} operations`,
    );
  });

  it('refuses a rule nested too deep without overflowing the stack', () => {
    let rule: Json = true;
    for (let i = 0; i < 20_000; i++) rule = { '!': [rule] };
    expect(() => evaluateLogic(rule, scope)).toThrow(/deeper than 64 levels/);
  });

  it('still evaluates ordinary conditions, and the budget resets per evaluation', () => {
    const rule = { some: [{ var: 'input.items' }, { '>': [{ var: '' }, 2] }] } as Json;
    const items = Array.from({ length: 1000 }, (_, i) => i);
    for (let i = 0; i < 200; i++) expect(evaluateLogic(rule, { ...scope, input: { items } })).toBe(true);
  });
});

describe('template budgets', () => {
  it('refuses more expressions in one string than the budget allows', () => {
    expect(() => parseTemplate('{{ 1 }}'.repeat(templateBudgets.maxExpressionsPerString + 1))).toThrow(
      TemplateSyntaxError,
    );
    expect(parseTemplate('{{ 1 }}'.repeat(templateBudgets.maxExpressionsPerString))).toHaveLength(
      templateBudgets.maxExpressionsPerString,
    );
  });
});
