import { describe, expect, it } from 'vitest';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { billingTemplates } from '../canvas/templates/billing.js';
import { gatedNodes } from '../api/billing/gates.js';

const registry = createNodeRegistry();

describe('billing templates', () => {
  it.each(billingTemplates.map((template) => [template.title, template] as const))(
    '"%s" validates against the node registry',
    (_title, template) => {
      const result = validateWorkflow(template.document, registry);
      expect(result.issues).toEqual([]);
      expect(result.ok).toBe(true);
    },
  );

  it('starts on the billing events and keeps the plan change behind an approval', () => {
    const [trial, usage] = billingTemplates;
    expect(trial?.document.nodes[0]).toMatchObject({
      type: 'trigger.event',
      config: { event: 'billing.trial_will_end' },
    });
    expect(usage?.document.nodes[0]).toMatchObject({
      type: 'trigger.event',
      config: { event: 'billing.expansion_opportunity' },
    });
    const change = trial?.document.nodes.find((node) => node.type === 'billing.changePlan');
    const into = trial?.document.edges.filter((edge) => edge.to === change?.id) ?? [];
    expect(into).toEqual([{ from: 'approve', fromPort: 'approved', to: 'upgrade' }]);
    expect(trial?.document.nodes.find((node) => node.id === 'approve')?.type).toBe('flow.approval');
  });

  it('names what a plan cannot publish: the trial template needs Professional', () => {
    const [trial, usage] = billingTemplates;
    expect(
      gatedNodes(trial!.document, registry, 'free').map((node) => [node.nodeId, node.requiredPlan]),
    ).toEqual([['approve', 'professional']]);
    expect(gatedNodes(trial!.document, registry, 'professional')).toEqual([]);
    expect(gatedNodes(usage!.document, registry, 'free')).toEqual([]);
  });
});
