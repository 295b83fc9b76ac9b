// Over 400 lines: one sentence per n8n mapping (issue 19) reads better in one place than split by node.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { DomainError } from '../engine/errors.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { importOutcome, usesOnlyCoreNodes } from '../api/workflows/import/corpus.js';
import { detectFormat, importN8nWorkflow, prepareImport } from '../api/workflows/import/index.js';

const registry = createNodeRegistry();
type Params = Record<string, unknown>;

/** An n8n node as the editor exports it. */
function n(name: string, type: string, parameters: Params = {}, extra: Params = {}): Params {
  return {
    id: name,
    name,
    type: `n8n-nodes-base.${type}`,
    typeVersion: 1,
    position: [0, 0],
    parameters,
    ...extra,
  };
}
/** `main` connections: `{ A: [[B, C], null, [D]] }` → n8n's `{ A: { main: [[{node:'B',...}], null, ...] } }`. */
function wf(nodes: Params[], links: Record<string, Array<string[] | null>> = {}, extra: Params = {}): Params {
  const connections = Object.fromEntries(
    Object.entries(links).map(([from, outputs]) => [
      from,
      {
        main: outputs.map(
          (targets) => targets && targets.map((to) => ({ node: to, type: 'main', index: 0 })),
        ),
      },
    ]),
  );
  return { name: 'Test', nodes, connections, settings: { executionOrder: 'v1' }, ...extra };
}
const imported = (workflow: Params) => importN8nWorkflow(workflow);
type NodeIn = WorkflowDocumentInput['nodes'][number];
const nodeOf = (workflow: Params, name: string): NodeIn => {
  const { document, report } = imported(workflow);
  const id = report.nodes.find((r) => r.name === name)!.id;
  return document.nodes.find((node) => node.id === id)!;
};
const configOf = (workflow: Params, name: string): Params => nodeOf(workflow, name).config ?? {};
const statusOf = (workflow: Params, name: string) =>
  imported(workflow).report.nodes.find((r) => r.name === name)!;
const trigger = n('Start', 'manualTrigger');
const alone = (node: Params): Params => wf([trigger, node], { Start: [[String(node.name)]] });

describe('telling n8n from our document', () => {
  it('reads the shape: connections keyed by node name mean n8n, schemaVersion and edges mean ours', () => {
    expect(detectFormat(wf([trigger]))).toBe('n8n');
    expect(detectFormat({ nodes: [{ type: 'n8n-nodes-base.set', typeVersion: 3 }] })).toBe('n8n');
    expect(detectFormat({ schemaVersion: 1, name: 'x', nodes: [], edges: [] })).toBe('revflow');
    expect(prepareImport({ schemaVersion: 1, name: 'x', nodes: [], edges: [] }).report).toBeNull();
  });

  it('takes a one-workflow list (n8n CLI export) and refuses a list of several, naming the field', () => {
    expect(prepareImport([wf([trigger])]).report?.source).toBe('n8n');
    expect(() => prepareImport([wf([trigger]), wf([trigger])])).toThrow(DomainError);
  });
});

describe('the graph', () => {
  const graph = wf(
    [trigger, n('Check', 'if', {}, { typeVersion: 1 }), n('Yes', 'noOp'), n('No', 'noOp'), n('Also', 'noOp')],
    { Start: [['Check']], Check: [['Yes', 'Also'], ['No']] },
  );

  it('turns main[output][i] into edges on the ports our nodes have, fanning out to every target', () => {
    const { document } = imported(graph);
    expect(document.edges).toEqual([
      { from: 'start', fromPort: 'out', to: 'check', toPort: 'in' },
      { from: 'check', fromPort: 'true', to: 'yes', toPort: 'in' },
      { from: 'check', fromPort: 'true', to: 'also', toPort: 'in' },
      { from: 'check', fromPort: 'false', to: 'no', toPort: 'in' },
    ]);
  });

  it('skips null output slots and connections to nodes that do not exist', () => {
    const workflow = wf([trigger, n('Check', 'if', {}, { typeVersion: 2 }), n('No', 'noOp')], {
      Start: [['Check']],
      Check: [null, ['No', 'Ghost']],
    });
    expect(imported(workflow).document.edges).toEqual([
      { from: 'start', fromPort: 'out', to: 'check', toPort: 'in' },
      { from: 'check', fromPort: 'false', to: 'no', toPort: 'in' },
    ]);
  });

  it('keeps positions, names and typeVersions, and turns notes into node notes and sticky notes into the description', () => {
    const workflow = wf([
      { ...trigger, position: [240, -60], notes: 'Runs by hand' },
      {
        name: 'Sticky',
        type: 'n8n-nodes-base.stickyNote',
        typeVersion: 1,
        position: [0, 0],
        parameters: { content: '## Read me' },
      },
    ]);
    const { document, report } = imported(workflow);
    expect(document.nodes).toEqual([
      {
        id: 'start',
        type: 'trigger.manual',
        name: 'Start',
        config: {},
        position: { x: 240, y: -60 },
        notes: 'Runs by hand',
      },
    ]);
    expect(document.description).toContain('Note: ## Read me');
    expect(report.summary).toMatchObject({ nodes: 1, mapped: 1, stickyNotes: 1 });
    expect(report.nodes[0]).toMatchObject({ n8nType: 'n8n-nodes-base.manualTrigger', typeVersion: 1 });
  });

  it('imports a disabled node as a pass-through, as n8n runs it, and says so', () => {
    const workflow = alone(n('Old', 'httpRequest', { url: 'https://example.com' }, { disabled: true }));
    expect(nodeOf(workflow, 'Old')).toMatchObject({ type: 'code.javascript' });
    expect(String(configOf(workflow, 'Old').source)).toContain('return input;');
    expect(statusOf(workflow, 'Old').todo.join()).toMatch(/disabled in n8n/);
  });

  it('maps retryOnFail/maxTries/waitBetweenTries to a fixed retry and onError to our error policy', () => {
    const http = (extra: Params) =>
      n('Call', 'httpRequest', { url: 'https://example.com' }, { typeVersion: 4.2, ...extra });
    expect(
      nodeOf(alone(http({ retryOnFail: true, maxTries: 4, waitBetweenTries: 2500 })), 'Call').retry,
    ).toEqual({
      maxAttempts: 4,
      backoff: 'fixed',
      initialDelayMs: 2500,
    });
    expect(nodeOf(alone(http({ onError: 'continueRegularOutput' })), 'Call').onError).toBe('continue');
    expect(nodeOf(alone(http({ continueOnFail: true })), 'Call').onError).toBe('continue');
    const routed = wf(
      [trigger, http({ onError: 'continueErrorOutput' }), n('Ok', 'noOp'), n('Failed', 'noOp')],
      {
        Start: [['Call']],
        Call: [['Ok'], ['Failed']],
      },
    );
    expect(nodeOf(routed, 'Call').onError).toBe('route');
    expect(imported(routed).document.edges).toContainEqual({
      from: 'call',
      fromPort: 'error',
      to: 'failed',
      toPort: 'in',
    });
  });

  it('runs a Loop Over Items body once and wires "done" from where the body looped back, leaving no cycle', () => {
    const loop = wf(
      [
        trigger,
        n('Loop', 'splitInBatches', { options: {} }, { typeVersion: 3 }),
        n('Work', 'noOp'),
        n('After', 'noOp'),
      ],
      { Start: [['Loop']], Loop: [['After'], ['Work']], Work: [['Loop']] },
    );
    const { document } = imported(loop);
    expect(document.edges).toEqual([
      { from: 'start', fromPort: 'out', to: 'loop', toPort: 'in' },
      { from: 'loop', fromPort: 'out', to: 'work', toPort: 'in' },
      { from: 'work', fromPort: 'out', to: 'after', toPort: 'in' },
    ]);
    expect(validateWorkflow(document, registry).ok).toBe(true);
  });

  it('cuts any other loop, reporting it on the node it looped into', () => {
    const cyclic = wf([trigger, n('A', 'noOp'), n('B', 'noOp')], { Start: [['A']], A: [['B']], B: [['A']] });
    const { document, report } = imported(cyclic);
    expect(document.edges).toHaveLength(2);
    expect(report.nodes.find((r) => r.name === 'A')).toMatchObject({ status: 'partial' });
    expect(report.warnings.join()).toMatch(/was cut/);
  });
});

describe('core nodes', () => {
  it('Webhook: method, path and each response mode', () => {
    const hook = (parameters: Params) => wf([n('Hook', 'webhook', parameters, { typeVersion: 2 })]);
    expect(configOf(hook({ httpMethod: 'POST', path: 'lead/new' }), 'Hook')).toEqual({
      path: 'lead/new',
      method: 'POST',
      responseMode: 'immediate',
    });
    expect(configOf(hook({ path: 'x', responseMode: 'responseNode' }), 'Hook')).toMatchObject({
      method: 'GET',
      responseMode: 'respondNode',
    });
    const last = wf([n('Hook', 'webhook', { path: 'x', responseMode: 'lastNode' }), n('Shape', 'noOp')], {
      Hook: [['Shape']],
    });
    const { document } = imported(last);
    expect(document.nodes.find((node) => node.id === 'respond_last')).toMatchObject({
      type: 'webhook.respond',
    });
    expect(document.edges).toContainEqual({
      from: 'shape',
      fromPort: 'out',
      to: 'respond_last',
      toPort: 'in',
    });
    expect(statusOf(hook({ path: 'x', authentication: 'basicAuth' }), 'Hook').status).toBe('partial');
  });

  it('Respond to Webhook: first item, JSON with expressions, text, status and headers', () => {
    const respond = (parameters: Params) =>
      alone(n('Reply', 'respondToWebhook', parameters, { typeVersion: 1.1 }));
    expect(configOf(respond({}), 'Reply')).toMatchObject({ status: 200 });
    expect(
      configOf(
        respond({
          respondWith: 'json',
          responseBody: '={ "ok": true, "name": "{{ $json.name }}", "n": {{ $json.count }} }',
          options: { responseCode: 201, responseHeaders: { entries: [{ name: 'X-Flow', value: 'n8n' }] } },
        }),
        'Reply',
      ),
    ).toEqual({
      status: 201,
      headers: { 'X-Flow': 'n8n' },
      body: { ok: true, name: '{{ input.name }}', n: '{{ input.count }}' },
    });
    expect(configOf(respond({ respondWith: 'text', responseBody: 'pong' }), 'Reply')).toMatchObject({
      body: 'pong',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
    expect(statusOf(respond({ respondWith: 'binary' }), 'Reply').status).toBe('unmapped');
  });

  it('Schedule Trigger: interval rules and cron, and the old Cron node', () => {
    const schedule = (interval: Params[]) =>
      configOf(wf([n('Tick', 'scheduleTrigger', { rule: { interval } }, { typeVersion: 1.2 })]), 'Tick');
    expect(schedule([{ field: 'minutes', minutesInterval: 15 }])).toEqual({ everyMinutes: 15 });
    expect(schedule([{ field: 'hours', hoursInterval: 2, triggerAtMinute: 30 }])).toEqual({
      cron: '30 */2 * * *',
    });
    expect(schedule([{ triggerAtHour: 9 }])).toEqual({ cron: '0 9 * * *' });
    expect(schedule([{ field: 'weeks', triggerAtDay: [1, 5], triggerAtHour: 8 }])).toEqual({
      cron: '0 8 * * 1,5',
    });
    expect(schedule([{ field: 'cronExpression', expression: '0 7 * * 1-5' }])).toEqual({
      cron: '0 7 * * 1-5',
    });
    const two = imported(
      wf([n('Tick', 'scheduleTrigger', { rule: { interval: [{ field: 'minutes' }, { field: 'days' }] } })]),
    );
    expect(two.document.nodes.map((node) => node.type)).toEqual(['trigger.schedule', 'trigger.schedule']);
    expect(
      configOf(
        wf([n('Old', 'cron', { triggerTimes: { item: [{ mode: 'everyWeek', hour: 6, weekday: 3 }] } })]),
        'Old',
      ),
    ).toEqual({
      cron: '0 6 * * 3',
    });
  });

  it('Set: v3.3 assignments with types, v3.0 fields.values, v1/v2 values and keepOnlySet, include modes', () => {
    const v33 = alone(
      n(
        'Shape',
        'set',
        {
          assignments: {
            assignments: [
              { id: 'a', name: 'total', value: '={{ $json.qty * $json.price }}', type: 'number' },
              { id: 'b', name: 'plan', value: 'pro', type: 'string' },
              { id: 'c', name: 'seats', value: '5', type: 'number' },
            ],
          },
          options: {},
        },
        { typeVersion: 3.4 },
      ),
    );
    expect(configOf(v33, 'Shape')).toEqual({
      fields: [
        { name: 'total', value: '{{ input.qty * input.price }}' },
        { name: 'plan', value: 'pro' },
        { name: 'seats', value: 5 },
      ],
      keepInput: false,
    });
    const v30 = alone(
      n(
        'Shape',
        'set',
        { fields: { values: [{ name: 'ok', type: 'booleanValue', booleanValue: true }] } },
        { typeVersion: 3 },
      ),
    );
    expect(configOf(v30, 'Shape')).toEqual({ fields: [{ name: 'ok', value: true }], keepInput: true });
    const v2 = alone(
      n(
        'Shape',
        'set',
        { keepOnlySet: true, values: { number: [{ name: 'n', value: 3 }] } },
        { typeVersion: 2 },
      ),
    );
    expect(configOf(v2, 'Shape')).toEqual({ fields: [{ name: 'n', value: 3 }], keepInput: false });
    const except = alone(
      n(
        'Shape',
        'set',
        { includeOtherFields: true, include: 'except', excludeFields: 'secret, token' },
        { typeVersion: 3.4 },
      ),
    );
    expect(configOf(except, 'Shape')).toMatchObject({ keepInput: true, remove: ['secret', 'token'] });
  });

  it('If v1 and v2: operators and the combinator become json-logic, the rest a helper the rule reads', () => {
    const v2 = alone(
      n(
        'Big?',
        'if',
        {
          conditions: {
            options: { caseSensitive: true, typeValidation: 'strict' },
            conditions: [
              {
                leftValue: '={{ $json.total }}',
                rightValue: 100,
                operator: { type: 'number', operation: 'gt' },
              },
              {
                leftValue: '={{ $json.email }}',
                rightValue: '@acme.com',
                operator: { type: 'string', operation: 'endsWith' },
              },
            ],
            combinator: 'or',
          },
        },
        { typeVersion: 2 },
      ),
    );
    const { document, report } = imported(v2);
    expect(configOf(v2, 'Big?')).toEqual({
      condition: {
        or: [{ '>': [{ var: 'input.total' }, 100] }, { '===': [{ var: 'nodes.big_cond.output.0' }, true] }],
      },
    });
    const helper = document.nodes.find((node) => node.id === 'big_cond')!;
    expect(String(helper.config?.source)).toContain(`String(a ?? '').endsWith(String(b ?? ''))`);
    expect(report.nodes[1]!.helpers).toEqual(['big_cond']);
    expect(document.edges).toEqual([
      { from: 'start', fromPort: 'out', to: 'big', toPort: 'in' },
      { from: 'start', fromPort: 'out', to: 'big_cond', toPort: 'in' },
      { from: 'big_cond', fromPort: 'out', to: 'big', toPort: 'in' },
    ]);
    const v1 = alone(
      n('Paid?', 'if', {
        conditions: { string: [{ value1: '={{$json["plan"]}}', operation: 'equal', value2: 'pro' }] },
      }),
    );
    expect(configOf(v1, 'Paid?')).toEqual({ condition: { '==': [{ var: 'input.plan' }, 'pro'] } });
  });

  it('Switch: rules with renamed outputs and a fallback, expression mode, and the old v1 rules', () => {
    const rules = wf(
      [
        trigger,
        n(
          'Route',
          'switch',
          {
            rules: {
              values: [
                {
                  conditions: {
                    conditions: [
                      {
                        leftValue: '={{ $json.size }}',
                        rightValue: 1000,
                        operator: { type: 'number', operation: 'gte' },
                      },
                    ],
                  },
                  renameOutput: true,
                  outputKey: 'Enterprise',
                },
                {
                  conditions: {
                    conditions: [
                      {
                        leftValue: '={{ $json.size }}',
                        rightValue: 100,
                        operator: { type: 'number', operation: 'gte' },
                      },
                    ],
                  },
                },
              ],
            },
            options: { fallbackOutput: 'extra' },
          },
          { typeVersion: 3.2 },
        ),
        n('Big', 'noOp'),
        n('Mid', 'noOp'),
        n('Small', 'noOp'),
      ],
      { Start: [['Route']], Route: [['Big'], ['Mid'], ['Small']] },
    );
    expect(configOf(rules, 'Route')).toEqual({
      cases: [
        { port: 'Enterprise', condition: { '>=': [{ var: 'input.size' }, 1000] } },
        { port: 'output1', condition: { '>=': [{ var: 'input.size' }, 100] } },
      ],
      mode: 'first',
    });
    expect(imported(rules).document.edges).toContainEqual({
      from: 'route',
      fromPort: 'default',
      to: 'small',
      toPort: 'in',
    });
    const expression = alone(
      n(
        'Pick',
        'switch',
        { mode: 'expression', numberOutputs: 2, output: '={{ $json.lane }}' },
        { typeVersion: 3 },
      ),
    );
    expect(configOf(expression, 'Pick')).toMatchObject({
      cases: [
        { condition: { '==': [{ var: 'input.lane' }, 0] } },
        { condition: { '==': [{ var: 'input.lane' }, 1] } },
      ],
    });
    const old = alone(
      n('Old', 'switch', {
        dataType: 'string',
        value1: '={{$json.tier}}',
        rules: {
          rules: [
            { value2: 'gold', output: 0 },
            { value2: 'silver', output: 1 },
          ],
        },
        fallbackOutput: 1,
      }),
    );
    expect(configOf(old, 'Old')).toMatchObject({
      cases: [{ port: 'output0', condition: { '==': [{ var: 'input.tier' }, 'gold'] } }, { port: 'output1' }],
    });
  });

  it('Filter keeps or drops its one value: an If with only the kept output connected', () => {
    const filter = wf(
      [
        trigger,
        n(
          'Keep',
          'filter',
          {
            conditions: {
              conditions: [
                {
                  leftValue: '={{ $json.active }}',
                  rightValue: '',
                  operator: { type: 'boolean', operation: 'true', singleValue: true },
                },
              ],
            },
          },
          { typeVersion: 2 },
        ),
        n('Next', 'noOp'),
      ],
      { Start: [['Keep']], Keep: [['Next']] },
    );
    expect(configOf(filter, 'Keep')).toEqual({ condition: { '===': [{ var: 'input.active' }, true] } });
    expect(imported(filter).document.edges).toContainEqual({
      from: 'keep',
      fromPort: 'true',
      to: 'next',
      toPort: 'in',
    });
  });

  it('Merge: append lists the inputs in input order, combine by position merges, choose branch passes one on', () => {
    const merge = (parameters: Params) =>
      wf(
        [trigger, n('A', 'noOp'), n('B', 'noOp'), n('Join', 'merge', parameters, { typeVersion: 3 })],
        {
          Start: [['A', 'B']],
          A: [['Join']],
        },
        {},
      );
    const withInputs = (parameters: Params) => {
      const workflow = merge(parameters);
      (workflow.connections as Params).B = { main: [[{ node: 'Join', type: 'main', index: 1 }]] };
      return workflow;
    };
    expect(configOf(withInputs({}), 'Join')).toEqual({ mode: 'all', combine: 'array' });
    expect(configOf(withInputs({ mode: 'combine', combineBy: 'combineByPosition' }), 'Join')).toEqual({
      mode: 'all',
      combine: 'object',
    });
    const choose = imported(withInputs({ mode: 'chooseBranch', useDataOfInput: 2 }));
    expect(choose.document.edges.filter((edge) => edge.to === 'join').map((edge) => edge.from)).toEqual([
      'b',
      'a',
    ]);
    expect(statusOf(withInputs({ mode: 'combine', combineBy: 'combineByFields' }), 'Join').status).toBe(
      'partial',
    );
  });

  it('Split Out, Aggregate, Code (both modes), Function and Function Item become code with n8n items around them', () => {
    expect(
      String(configOf(alone(n('Split', 'splitOut', { fieldToSplitOut: 'deals' })), 'Split').source),
    ).toContain('const fields = ["deals"]');
    expect(
      String(
        configOf(
          alone(
            n('Sum', 'aggregate', { fieldsToAggregate: { fieldToAggregate: [{ fieldToAggregate: 'id' }] } }),
          ),
          'Sum',
        ).source,
      ),
    ).toContain('"field":"id"');
    for (const [type, parameters] of [
      ['code', { jsCode: 'return $input.all();' }],
      ['code', { mode: 'runOnceForEachItem', jsCode: 'return { json: { ...$json, ok: true } };' }],
      ['function', { functionCode: 'return items;' }],
      ['functionItem', { functionCode: 'item.ok = true; return item;' }],
    ] as const) {
      const config = configOf(alone(n('Run', type, parameters, { typeVersion: 2 })), 'Run');
      expect(String(config.source)).toContain('const __in = __items(input);');
      expect(validateWorkflow(imported(alone(n('Run', type, parameters))).document, registry).ok).toBe(true);
    }
    expect(
      statusOf(
        alone(n('Py', 'code', { language: 'python', pythonCode: 'return []' }, { typeVersion: 2 })),
        'Py',
      ),
    ).toMatchObject({
      status: 'unmapped',
      reasons: [expect.stringMatching(/JavaScript only/)],
    });
  });

  it('HTTP Request v4: query, headers, JSON and form bodies, options; credentials left to fill in', () => {
    const http = alone(
      n(
        'Call',
        'httpRequest',
        {
          method: 'POST',
          url: '=https://api.example.com/deals/{{ $json.id }}',
          authentication: 'genericCredentialType',
          genericAuthType: 'httpHeaderAuth',
          sendQuery: true,
          queryParameters: { parameters: [{ name: 'expand', value: 'owner' }] },
          sendHeaders: true,
          headerParameters: { parameters: [{ name: 'X-Trace', value: '={{ $execution.id }}' }] },
          sendBody: true,
          specifyBody: 'json',
          jsonBody: '={ "amount": {{ $json.amount }}, "note": "for {{ $json.name }}" }',
          options: { timeout: 5000, response: { response: { neverError: true } } },
        },
        { typeVersion: 4.2 },
      ),
    );
    expect(configOf(http, 'Call')).toEqual({
      method: 'POST',
      url: 'https://api.example.com/deals/{{ input.id }}',
      retries: 0,
      query: { expand: 'owner' },
      headers: { 'X-Trace': '{{ run.id }}' },
      body: { type: 'json', value: { amount: '{{ input.amount }}', note: 'for {{ input.name }}' } },
      failOnStatus: false,
      timeoutMs: 5000,
    });
    expect(statusOf(http, 'Call')).toMatchObject({
      status: 'mapped',
      todo: [expect.stringMatching(/pick a workspace credential/)],
    });
    const form = alone(
      n(
        'Form',
        'httpRequest',
        {
          url: 'https://x.example',
          method: 'POST',
          sendBody: true,
          contentType: 'form-urlencoded',
          bodyParameters: { parameters: [{ name: 'a', value: '1' }] },
        },
        { typeVersion: 4 },
      ),
    );
    expect(configOf(form, 'Form').body).toEqual({ type: 'form', value: { a: '1' } });
  });

  it('reads what follows an HTTP Request as its body, as n8n does unless "full response" is on', () => {
    const chain = wf(
      [
        trigger,
        n('Call', 'httpRequest', { url: 'https://x.example' }, { typeVersion: 4.2 }),
        n(
          'Use',
          'set',
          {
            assignments: {
              assignments: [
                { name: 'id', value: "={{ $json.id }} {{ $('Call').item.json.name }}", type: 'string' },
              ],
            },
          },
          { typeVersion: 3.4 },
        ),
      ],
      { Start: [['Call']], Call: [['Use']] },
    );
    expect(configOf(chain, 'Use').fields).toEqual([
      { name: 'id', value: '{{ input.body.id }} {{ nodes["call"].output.body.name }}' },
    ]);
  });

  it('Wait, Send Email, Execute Workflow (+ trigger), Stop and Error, Error Trigger, No Op, Date & Time, Crypto', () => {
    expect(
      configOf(alone(n('Pause', 'wait', { amount: 2, unit: 'minutes' }, { typeVersion: 1.1 })), 'Pause'),
    ).toEqual({ ms: 120_000 });
    expect(
      configOf(
        alone(n('Until', 'wait', { resume: 'specificTime', dateTime: '2030-01-01T09:00:00' })),
        'Until',
      ),
    ).toEqual({ until: '2030-01-01T09:00:00Z' });
    expect(nodeOf(alone(n('Hold', 'wait', { resume: 'webhook' })), 'Hold').type).toBe('flow.waitForEvent');
    expect(
      configOf(
        alone(
          n(
            'Mail',
            'emailSend',
            {
              fromEmail: 'a@x.io',
              toEmail: '={{ $json.email }}',
              subject: 'Hi',
              emailFormat: 'text',
              text: 'Hello',
            },
            { typeVersion: 2.1 },
          ),
        ),
        'Mail',
      ),
    ).toEqual({
      to: '{{ input.email }}',
      subject: 'Hi',
      from: 'a@x.io',
      text: 'Hello',
    });
    expect(
      nodeOf(
        alone(n('Child', 'executeWorkflow', { workflowId: { __rl: true, value: '42', mode: 'list' } })),
        'Child',
      ).type,
    ).toBe('flow.subWorkflow');
    expect(nodeOf(wf([n('Called', 'executeWorkflowTrigger')]), 'Called').type).toBe('trigger.manual');
    expect(configOf(alone(n('Stop', 'stopAndError', { errorMessage: 'No lead' })), 'Stop')).toEqual({
      outcome: 'failed',
      message: 'No lead',
    });
    expect(nodeOf(wf([n('Failed', 'errorTrigger')]), 'Failed').type).toBe('trigger.error');
    expect(
      configOf(
        alone(
          n(
            'Now',
            'dateTime',
            { operation: 'formatDate', date: '={{ $json.at }}', format: 'yyyy/MM/dd' },
            { typeVersion: 2 },
          ),
        ),
        'Now',
      ),
    ).toMatchObject({
      operation: 'format',
      value: '{{ input.at }}',
      format: 'yyyy/MM/dd',
      outputField: 'formattedDate',
    });
    expect(
      configOf(
        alone(n('Hash', 'crypto', { type: 'SHA256', value: '={{ $json.email }}', dataPropertyName: 'hash' })),
        'Hash',
      ),
    ).toMatchObject({
      operation: 'hash',
      algorithm: 'sha256',
      value: '{{ input.email }}',
      outputField: 'hash',
    });
    expect(statusOf(alone(n('Sha1', 'crypto', { type: 'SHA1', value: 'x' })), 'Sha1').status).toBe(
      'unmapped',
    );
  });
});

describe('expressions', () => {
  const setWith = (value: string) =>
    configOf(alone(n('Shape', 'set', { values: { string: [{ name: 'v', value }] } })), 'Shape');
  const field = (value: string) => (setWith(value).fields as Array<{ value: unknown }>)[0]!.value;

  it('translates $json, $("Node").item.json, $node["Node"].json, $input.first(), $now, $execution and $env', () => {
    expect(field('={{ $json.email }}')).toBe('{{ input.email }}');
    expect(field("={{ $('Start').item.json.plan }}")).toBe('{{ nodes["start"].output.plan }}');
    expect(field('={{ $node["Start"].json["plan"] }}')).toBe('{{ nodes["start"].output["plan"] }}');
    expect(field('={{ $input.first().json.id }}')).toBe(
      '{{ ((v) => (Array.isArray(v) ? v[0] : v))(input).id }}',
    );
    expect(field('={{ $now.toISO() }}')).toBe('{{ new Date().toISOString() }}');
    expect(field('={{ $execution.id }}')).toBe('{{ run.id }}');
    const { document, report } = imported(
      alone(n('Shape', 'set', { values: { string: [{ name: 'v', value: '={{ $env.API_HOST }}' }] } })),
    );
    expect((document.nodes[1]!.config as Params).fields).toEqual([
      { name: 'v', value: '{{ vars["API_HOST"] }}' },
    ]);
    expect(document.settings).toEqual({ vars: { API_HOST: '' } });
    expect(report.nodes[1]!.todo.join()).toMatch(/vars\["API_HOST"\]/);
  });

  it('keeps literal text literal, even when it holds "{{"', () => {
    expect(field('Hello {{name}}')).toBe('Hello {{ "{{" }}name}}');
    expect(field('=Hi {{ $json.name }}!')).toBe('Hi {{ input.name }}!');
  });

  it('reports what has no meaning here, per node, and still imports the node', () => {
    const report = statusOf(
      alone(
        n('Shape', 'set', {
          values: { string: [{ name: 'v', value: '={{ $json.name.toTitleCase() }} {{ $binary.data }}' }] },
        }),
      ),
      'Shape',
    );
    expect(report.status).toBe('partial');
    expect(report.reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/toTitleCase/), expect.stringMatching(/\$binary/)]),
    );
  });
});

describe('what cannot be mapped', () => {
  it('imports the rest as a valid draft and puts a placeholder that fails clearly where an unknown node was', () => {
    const workflow = wf(
      [
        trigger,
        { ...n('Sheet', 'googleSheets', { operation: 'append' }), typeVersion: 4 },
        n('After', 'noOp'),
      ],
      { Start: [['Sheet']], Sheet: [['After']] },
    );
    const { document, report } = imported(workflow);
    expect(report.summary).toMatchObject({ nodes: 3, mapped: 2, unmapped: 1 });
    expect(report.nodes[1]).toMatchObject({
      status: 'unmapped',
      reasons: [expect.stringMatching(/googleSheets has no Revflow equivalent/)],
    });
    const placeholder = document.nodes[1]!;
    expect(String(placeholder.config?.source)).toMatch(/^throw new Error\(.*was not imported/);
    expect(placeholder.notes).toContain('"operation":"append"');
    expect(validateWorkflow(document, registry).ok).toBe(true);
  });

  it('drops AI sub-node connections and says so on the node', () => {
    const workflow = wf([trigger, n('Agent', 'noOp')], { Start: [['Agent']] });
    (workflow.connections as Params).Agent = { ai_tool: [[{ node: 'Start', type: 'ai_tool', index: 0 }]] };
    expect(statusOf(workflow, 'Agent').reasons.join()).toMatch(/ai_tool connections/);
  });
});

describe('hostile input', () => {
  it('refuses 10,000-deep JSON with the field named, without a stack overflow', () => {
    let deep: unknown = {};
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const attempt = () =>
      importN8nWorkflow({
        nodes: [{ name: 'X', type: 'n8n-nodes-base.set', parameters: deep }],
        connections: {},
      });
    expect(attempt).toThrow(DomainError);
    expect(() => attempt()).toThrow(/nested deeper/);
  });

  it('refuses more nodes than a document holds, and maps 2,000 nodes in one go', () => {
    const many = (count: number) =>
      wf([trigger, ...Array.from({ length: count - 1 }, (_, i) => n(`Step ${i}`, 'noOp'))]);
    expect(() => importN8nWorkflow(many(2_001))).toThrow(/at most 2000 nodes/);
    const { document, report } = importN8nWorkflow(many(2_000));
    expect(document.nodes).toHaveLength(2_000);
    expect(report.summary.mapped).toBe(2_000);
  });

  it('makes valid ids out of NUL, emoji and script in names, and skips nameless or duplicate nodes', () => {
    const { document, report } = imported(
      wf([
        trigger,
        n('<script>\u0000alert(1)</script>', 'noOp'),
        n('🚀', 'noOp'),
        n('🚀', 'noOp'),
        { type: 'n8n-nodes-base.noOp' },
      ]),
    );
    expect(document.nodes.map((node) => node.id)).toEqual(['start', 'script_alert_1_script', 'n']);
    expect(report.warnings).toHaveLength(2);
  });
});

describe('real exported workflows (tests/fixtures/n8n, see SOURCES.md)', () => {
  const dir = new URL('./fixtures/n8n/', import.meta.url);
  const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
  const corpus = files.map((file) => ({
    file,
    workflow: JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as unknown,
  }));
  const core = corpus.filter(({ workflow }) => usesOnlyCoreNodes(workflow));

  it('imports at least 90% of the core-only ones with every node mapped and passing validation', () => {
    expect(core.length).toBeGreaterThanOrEqual(30);
    const outcomes = core.map(({ file, workflow }) => ({ file, ...importOutcome(workflow, registry) }));
    const good = outcomes.filter((outcome) => outcome.allMapped && outcome.valid);
    expect(good.length / core.length).toBeGreaterThanOrEqual(0.9);
  });

  it('imports every file of the corpus as a draft without throwing, each node reported', () => {
    for (const { workflow } of corpus) {
      const { report } = importN8nWorkflow(workflow);
      expect(report.summary.mapped + report.summary.partial + report.summary.unmapped).toBe(
        report.summary.nodes,
      );
    }
  });
});
