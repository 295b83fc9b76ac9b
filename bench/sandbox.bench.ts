/**
 * Sandbox figures (engine/sandbox): warm calls into a workspace's isolate, the cost of a
 * 1 MB value, and a whole run's sandbox work. Run alone with
 *   NODE_OPTIONS=--no-node-snapshot npx tsx bench/sandbox.bench.ts
 * or as part of `npm run bench`.
 */
import { fileURLToPath } from 'node:url';
import type { Json } from '../engine/json.js';
import type { ExpressionScope } from '../engine/node.js';
import { IsolateSandbox } from '../engine/sandbox/isolate-sandbox.js';
import { median, type Figure } from './stats.js';

function scopeWith(nodes: Map<string, Json>, input: Json): ExpressionScope {
  return {
    input,
    trigger: { body: { qty: 3, price: 7 } },
    nodes,
    run: { id: 'bench' },
    workspace: { id: 'bench' },
    vars: {},
  };
}

/** ~1 MB of JSON: 7,000 customer rows. */
function megabyte(seed: number): Json {
  return {
    seed,
    rows: Array.from({ length: 7_000 }, (_, i) => ({
      id: i,
      name: `customer ${i}`,
      email: `c${i}@example.com`,
      amount: i * 1.5,
      tags: ['a', 'b'],
    })),
  };
}

async function samples(count: number, warmup: number, call: (i: number) => unknown): Promise<number[]> {
  for (let i = 0; i < warmup; i += 1) await call(i);
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await call(warmup + i);
    out.push((performance.now() - started) * 1000);
  }
  return out;
}

export async function benchSandbox(): Promise<Figure[]> {
  const sandbox = new IsolateSandbox();
  const figures: Figure[] = [];
  try {
    const coldStarted = performance.now();
    const session = sandbox.session('bench');
    const nodes = new Map<string, Json>([['shape', { total: 21 }]]);
    const scope = scopeWith(nodes, { amount: 21 });
    session.evaluate(['1'], scope);
    figures.push({
      name: 'cold isolate (create + harden realm + first call)',
      value: performance.now() - coldStarted,
      unit: 'ms',
    });

    const expression = await samples(20_000, 2_000, () => session.evaluate(['input.amount * 2'], scope));
    figures.push({
      name: 'warm small expression (median)',
      value: median(expression),
      unit: 'µs',
      target: '≤ 50 µs',
    });

    const three = await samples(20_000, 2_000, () =>
      session.evaluate(
        ['input.amount * 2', 'nodes.shape.output.total', 'trigger.body.qty * trigger.body.price'],
        scope,
      ),
    );
    figures.push({ name: 'warm 3 expressions, one crossing (median)', value: median(three), unit: 'µs' });

    const code = await samples(20_000, 2_000, () =>
      session.runCode(
        'return { total: input.amount, tier: input.amount > 10 ? "gold" : "silver" }',
        { amount: 21 },
        scope,
      ),
    );
    figures.push({ name: 'warm small code node (median)', value: median(code), unit: 'µs' });

    const asyncCode = await samples(10_000, 1_000, () =>
      session.runCode('return await Promise.resolve(input.amount)', { amount: 21 }, scope),
    );
    figures.push({ name: 'warm small async code node (median)', value: median(asyncCode), unit: 'µs' });

    const runs = await samples(10_000, 1_000, async (i) => {
      const run = sandbox.session('bench');
      const runNodes = new Map<string, Json>([['hook', { body: { qty: 3, price: 7 + (i % 5) } }]]);
      const runScope = scopeWith(runNodes, { body: { qty: 3, price: 7 } });
      const [total] = run.evaluate(['input.body.qty * input.body.price'], runScope);
      runNodes.set('shape', { total: total ?? 0 });
      await run.runCode(
        'return { total: input.total, tier: input.total > 500 ? "gold" : "silver" }',
        { total: total ?? 0 },
        runScope,
      );
      run.close();
    });
    figures.push({
      name: 'a run: session + expression + code node + close (median)',
      value: median(runs),
      unit: 'µs',
    });

    // 1 MB: a fresh input each call (stringify, copy, parse in the isolate) ...
    const big = Array.from({ length: 8 }, (_, i) => megabyte(i));
    const fresh = await samples(40, 8, (i) =>
      session.runCode('return input.rows.length', big[i % big.length]!, scope),
    );
    figures.push({ name: 'code node, fresh 1 MB input (median)', value: median(fresh) / 1000, unit: 'ms' });
    // ... and the usual case: the input is an upstream output already in the isolate.
    const upstream = megabyte(99);
    nodes.set('fetch', upstream);
    const pushed = await samples(40, 8, () => session.runCode('return input.rows.length', upstream, scope));
    figures.push({
      name: 'code node, 1 MB input already pushed (median)',
      value: median(pushed) / 1000,
      unit: 'ms',
    });
    const expressionOnBig = await samples(2_000, 200, () =>
      session.evaluate(['nodes.fetch.output.rows[42].email'], scope),
    );
    figures.push({
      name: 'expression reading a pushed 1 MB output (median)',
      value: median(expressionOnBig),
      unit: 'µs',
    });
    session.close();
  } finally {
    sandbox.dispose();
  }
  return figures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const figure of await benchSandbox()) {
    const value = figure.value >= 100 ? figure.value.toFixed(0) : figure.value.toFixed(1);
    console.log(
      `${figure.name.padEnd(58)} ${value.padStart(8)} ${figure.unit}${figure.target ? `   (target ${figure.target})` : ''}`,
    );
  }
}
