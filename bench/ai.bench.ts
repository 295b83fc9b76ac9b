/**
 * The local AI provider (issue 12): latency per call on a realistic sales email (~1 KB), by
 * operation, after the English model is loaded (its load is reported on its own). In-process:
 * what an AI step costs before metering and the database.
 */
import { localProvider } from '../api/ai/local/provider.js';
import { validatorFor } from '../api/ai/structured.js';
import { median, percentile, type Figure } from './stats.js';

const email = `Hi Tom,

Thanks for the call yesterday. We evaluated three vendors and your pricing is the most competitive, but we
need SSO and a SOC 2 report before legal signs off. Our budget is $40,000 for the first year, and we want to
roll out to 120 reps by February 15. Can you send the security questionnaire and a revised quote with annual
billing? You can also reach me at +1 (415) 555-0199 or priya.raman@northwind.example.

Best regards,
Priya Raman
Head of Revenue Operations, Northwind Traders`;

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    email: { type: 'string', format: 'email' },
    phone: { type: 'string' },
    company: { type: 'string' },
    reps: { type: 'integer' },
    budget: { type: 'number' },
    deadline: { type: 'string', format: 'date' },
    needsSso: { type: 'boolean' },
  },
};
const categories = [
  { name: 'pricing', description: 'price, quote, discount, billing' },
  { name: 'security', description: 'SSO, SOC 2, compliance, security review' },
  { name: 'support', description: 'bug, error, broken' },
];

export async function benchAi(): Promise<Figure[]> {
  const provider = localProvider();
  const call = { workspaceId: 'bench', model: 'local-wink-1' };
  const validate = validatorFor(schema);
  const loadStarted = performance.now();
  await provider.summarize(call, { text: 'Warm up the model.', maxSentences: 1 });
  const loadMs = performance.now() - loadStarted;
  const operations: Record<string, () => Promise<unknown>> = {
    extract: () => provider.extract(call, { text: email, schema }, validate),
    classify: () => provider.classify(call, { text: email, categories, multiLabel: true }),
    summarize: () => provider.summarize(call, { text: email, maxSentences: 2 }),
    generate: () =>
      provider.generate(call, { prompt: `Template:\nHi [First name], thanks from {company}.\n\n${email}` }),
    embed: () => provider.embed(call, { texts: [email] }),
  };
  const figures: Figure[] = [
    { name: 'local provider: first call (loads the English model)', value: loadMs, unit: 'ms' },
  ];
  for (const [name, run] of Object.entries(operations)) {
    // The first call loads what the operation needs (compromise's lexicon, chrono): not a steady cost.
    const first = performance.now();
    await run();
    figures.push({ name: `local ${name}: first call`, value: performance.now() - first, unit: 'ms' });
    const samples: number[] = [];
    const deadline = performance.now() + 2_000;
    while (samples.length < 200 && (samples.length < 10 || performance.now() < deadline)) {
      const started = performance.now();
      await run();
      samples.push(performance.now() - started);
    }
    figures.push({ name: `local ${name}: median per call (1 KB email)`, value: median(samples), unit: 'ms' });
    figures.push({ name: `local ${name}: p95 per call`, value: percentile(samples, 95), unit: 'ms' });
  }
  return figures;
}
