/**
 * `npm run bench`: a benchmark, not a test. Bounded in time, loopback only. Prints a markdown
 * table and writes bench/results/<date>.json with the machine's core count and the commit.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { benchDrain } from './drain.bench.js';
import { benchEngine } from './engine.bench.js';
import { benchPayload } from './payload.bench.js';
import { benchSandbox } from './sandbox.bench.js';
import { loadAverage } from './procs.js';
import { benchStartup } from './startup.bench.js';
import { benchW1 } from './w1.bench.js';
import { formatValue, type Figure } from './stats.js';

const suites: Record<string, () => Promise<Figure[]>> = {
  sandbox: benchSandbox,
  engine: benchEngine,
  startup: benchStartup,
  payload: benchPayload,
  drain: benchDrain,
  w1: benchW1,
  canvas: async () => (await import('./canvas.bench.js')).benchCanvas(),
  safety: async () => (await import('./safety.bench.js')).benchSafety(),
  outbound: async () => (await import('./outbound.bench.js')).benchOutbound(),
  // 10,000 leads × 3 emails through BullMQ: minutes, so only when asked for.
  'outbound-throughput': async () => (await import('./outbound-throughput.js')).benchOutboundThroughput(),
  analytics: async () => (await import('./analytics.bench.js')).benchAnalytics(),
  ai: async () => (await import('./ai.bench.js')).benchAi(),
  voice: async () => (await import('./voice.bench.js')).benchVoice(),
  knowledge: async () => (await import('./knowledge.bench.js')).benchKnowledge(),
  n8n: async () => (await import('./n8n.bench.js')).benchN8n(),
  // Installs a pinned Node-RED on first use, so it runs only when asked for: `npm run bench -- anchors`.
  anchors: async () => (await import('./anchors.bench.js')).benchAnchors(),
};
const onDemand = new Set(['anchors', 'outbound-throughput']);

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const only = process.argv.slice(2);
const figures: Array<Figure & { suite: string }> = [];
for (const [suite, run] of Object.entries(suites)) {
  if (only.length > 0 ? !only.includes(suite) : onDemand.has(suite)) continue;
  process.stderr.write(`bench: ${suite}… (load ${loadAverage()})\n`);
  const started = performance.now();
  const results = await run();
  // Figures that did not record the load get the load average at the end of their suite.
  const load = loadAverage();
  for (const figure of results) figures.push({ suite, ...figure, load: figure.load ?? load });
  process.stderr.write(`bench: ${suite} took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

const machine = {
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
};
const result = { date: new Date().toISOString(), commit: commit(), machine, figures };
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
// A run of some suites only does not overwrite the day's full run.
const suffix = only.length > 0 ? `-${only.join('-')}` : '';
const file = new URL(`./results/${result.date.slice(0, 10)}${suffix}.json`, import.meta.url);
await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);

console.log(
  `Revflow bench — commit ${result.commit}, ${machine.cores} cores (${machine.cpu}), Node ${machine.node}\n`,
);
console.log('| suite | figure | value | target | load avg (1/5/15 min) |');
console.log('|---|---|---|---|---|');
for (const figure of figures) {
  console.log(
    `| ${figure.suite} | ${figure.name} | ${formatValue(figure.value)} ${figure.unit} | ${figure.target ?? ''} | ${figure.load ?? ''} |`,
  );
}
process.exit(0);
