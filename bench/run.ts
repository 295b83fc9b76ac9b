/**
 * `npm run bench`: a benchmark, not a test. Bounded in time, loopback only. Prints a markdown
 * table and writes bench/results/<date>.json with the machine's core count and the commit.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { benchEngine } from './engine.bench.js';
import { benchSandbox } from './sandbox.bench.js';
import { benchStartup } from './startup.bench.js';
import { formatValue, type Figure } from './stats.js';

const suites: Record<string, () => Promise<Figure[]>> = {
  sandbox: benchSandbox,
  engine: benchEngine,
  startup: benchStartup,
};

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
  if (only.length > 0 && !only.includes(suite)) continue;
  process.stderr.write(`bench: ${suite}…\n`);
  for (const figure of await run()) figures.push({ suite, ...figure });
}

const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
const result = { date: new Date().toISOString(), commit: commit(), machine, figures };
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/${result.date.slice(0, 10)}.json`, import.meta.url);
await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);

console.log(`Revflow bench — commit ${result.commit}, ${machine.cores} cores (${machine.cpu}), Node ${machine.node}\n`);
console.log('| suite | figure | value | target |');
console.log('|---|---|---|---|');
for (const figure of figures) {
  console.log(`| ${figure.suite} | ${figure.name} | ${formatValue(figure.value)} ${figure.unit} | ${figure.target ?? ''} |`);
}
process.exit(0);
