import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createHarness, type Harness } from './helpers/harness.js';

/** The four AI nodes on the real engine with the local provider: ports, outputs, validation. */

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const doc = (
  nodes: WorkflowDocumentInput['nodes'],
  edges: WorkflowDocumentInput['edges'],
): WorkflowDocumentInput => ({
  schemaVersion: 1,
  name: 'AI nodes',
  nodes: [{ id: 'start', type: 'trigger.manual', config: {} }, ...nodes],
  edges,
  settings: {},
});

const triage = doc(
  [
    {
      id: 'triage',
      type: 'ai.classify',
      config: {
        text: '{{ input.message }}',
        categories: [
          { name: 'pricing', description: 'price, quote, discount, billing' },
          { name: 'support', description: 'bug, error, broken, not working' },
        ],
      },
    },
    { id: 'sales', type: 'data.set', config: { fields: [{ name: 'team', value: 'sales' }] } },
    { id: 'help', type: 'data.set', config: { fields: [{ name: 'team', value: 'support' }] } },
    { id: 'inbox', type: 'data.set', config: { fields: [{ name: 'team', value: 'inbox' }] } },
  ],
  [
    { from: 'start', to: 'triage' },
    { from: 'triage', fromPort: 'pricing', to: 'sales' },
    { from: 'triage', fromPort: 'support', to: 'help' },
    { from: 'triage', fromPort: 'other', to: 'inbox' },
  ],
);

describe('ai.classify', () => {
  it('has one port per category plus other, and routes by the label', async () => {
    const registry = createNodeRegistry();
    const validated = validateWorkflow(triage, registry);
    expect(validated.ok).toBe(true);

    const priced = await h.runToEnd(triage, {
      message: 'Can you send a quote with a discount for annual billing?',
    });
    expect(priced.run.status).toBe('succeeded');
    expect(priced.steps.get('triage')?.ports).toEqual(['pricing']);
    expect(priced.steps.get('sales')?.status).toBe('succeeded');
    expect(priced.steps.get('help')?.status).not.toBe('succeeded');
    expect(priced.steps.get('triage')?.output).toMatchObject({
      label: 'pricing',
      labels: ['pricing'],
      provider: 'local',
      model: 'local-wink-1',
      input: { message: 'Can you send a quote with a discount for annual billing?' },
    });

    const nothing = await h.runToEnd(triage, { message: 'See you at the conference dinner.' });
    expect(nothing.steps.get('triage')?.ports).toEqual(['other']);
    expect(nothing.steps.get('inbox')?.status).toBe('succeeded');
  });

  it('refuses reserved or duplicate category names with the field named', () => {
    const registry = createNodeRegistry();
    const bad = doc(
      [
        {
          id: 'c',
          type: 'ai.classify',
          config: { categories: [{ name: 'other' }, { name: 'a' }, { name: 'a' }] },
        },
      ],
      [{ from: 'start', to: 'c' }],
    );
    const result = validateWorkflow(bad, registry);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.message).join(' ')).toMatch(/reserved|unique/);
  });
});

describe('ai.generate, ai.summarize, ai.extract', () => {
  it('generates from a template, says it is not a language model, and summarises', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'draft',
            type: 'ai.generate',
            config: {
              prompt:
                'Follow up with {{ input.contact }} at {{ input.company }}.\nTemplate:\nHi [First name], thanks for choosing {company}!',
            },
          },
          { id: 'digest', type: 'ai.summarize', config: { text: '{{ input.thread }}', maxSentences: 1 } },
        ],
        [
          { from: 'start', to: 'draft' },
          { from: 'start', to: 'digest' },
        ],
      ),
      {
        contact: 'Priya Raman <priya@northwind.com>',
        company: 'Northwind Traders',
        thread:
          'Hi Tom. We reviewed the proposal with our CFO and approved a budget of $40,000 for 120 seats. Thanks! Best regards, Priya',
      },
    );
    expect(run.status).toBe('succeeded');
    expect(steps.get('draft')?.output).toMatchObject({
      text: 'Hi Priya, thanks for choosing Northwind Traders!',
      provider: 'local',
    });
    expect((steps.get('draft')?.output as { notice: string }).notice).toMatch(/not a language model/);
    expect(steps.get('digest')?.output).toMatchObject({
      summary: 'We reviewed the proposal with our CFO and approved a budget of $40,000 for 120 seats.',
      provider: 'local',
    });
  });

  it('fails the step with ai_invalid_output when a required field is not in the text', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'extract',
            type: 'ai.extract',
            config: { fields: [{ name: 'email', type: 'email', required: true }] },
          },
        ],
        [{ from: 'start', to: 'extract' }],
      ),
      { note: 'no address here' },
    );
    expect(run.status).toBe('failed');
    expect(steps.get('extract')?.error).toMatchObject({ code: 'ai_invalid_output' });
    expect(steps.get('extract')?.error?.message).toMatch(
      /must have required property 'email'.*not found in the text: email/,
    );
  });

  it('takes a JSON Schema verbatim (no template evaluation inside it)', async () => {
    const { steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'extract',
            type: 'ai.extract',
            config: {
              text: '{{ input.text }}',
              schema: {
                type: 'object',
                properties: {
                  website: { type: 'string', description: 'a {{ literal }} url', format: 'uri' },
                },
              },
            },
          },
        ],
        [{ from: 'start', to: 'extract' }],
      ),
      { text: 'Our site is https://northwind.example/pricing.' },
    );
    expect(steps.get('extract')?.output).toMatchObject({
      data: { website: 'https://northwind.example/pricing' },
      missing: [],
    });
  });
});
