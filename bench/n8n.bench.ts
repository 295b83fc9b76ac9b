/**
 * n8n import (issue 19): over the real exported workflows in tests/fixtures/n8n (SOURCES.md), the
 * share of core-only ones that import with every node mapped and pass validation (target ≥ 90%),
 * node-level and whole-corpus figures, and the time one import takes. Baseline: the import route
 * as it was, which validated the n8n file as our document (measured here: it refuses every one).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { importOutcome, usesOnlyCoreNodes } from '../api/workflows/import/corpus.js';
import { importN8nWorkflow } from '../api/workflows/import/index.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { percentile, type Figure } from './stats.js';

export function benchN8n(): Promise<Figure[]> {
  const registry = createNodeRegistry();
  const dir = new URL('../tests/fixtures/n8n/', import.meta.url);
  const corpus = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as unknown);
  const core = corpus.filter(usesOnlyCoreNodes);
  const outcomes = core.map((workflow) => importOutcome(workflow, registry));
  const all = corpus.map((workflow) => importOutcome(workflow, registry));
  const good = outcomes.filter((outcome) => outcome.allMapped && outcome.valid).length;
  const baseline = core.filter((workflow) => validateWorkflow(workflow, registry).ok).length;
  const nodes = all.reduce((sum, outcome) => sum + outcome.nodes, 0);
  const mapped = all.reduce((sum, outcome) => sum + outcome.mapped, 0);
  const times: number[] = [];
  for (let round = 0; round < 5; round++)
    for (const workflow of corpus) {
      const started = performance.now();
      importN8nWorkflow(workflow);
      times.push(performance.now() - started);
    }
  const pct = (part: number, whole: number): number => Math.round((1000 * part) / Math.max(1, whole)) / 10;
  return Promise.resolve([
    {
      name: `core-only workflows fully mapped + valid (${good}/${core.length})`,
      value: pct(good, core.length),
      unit: '%',
      target: '≥ 90%',
    },
    {
      name: `baseline: old import route accepts (${baseline}/${core.length})`,
      value: pct(baseline, core.length),
      unit: '%',
    },
    {
      name: `whole corpus: drafts that validate (${all.filter((o) => o.valid).length}/${all.length})`,
      value: pct(all.filter((o) => o.valid).length, all.length),
      unit: '%',
    },
    { name: `whole corpus: nodes fully mapped (${mapped}/${nodes})`, value: pct(mapped, nodes), unit: '%' },
    { name: 'import of one workflow, p50', value: Math.round(percentile(times, 50) * 100) / 100, unit: 'ms' },
    { name: 'import of one workflow, p99', value: Math.round(percentile(times, 99) * 100) / 100, unit: 'ms' },
  ]);
}
