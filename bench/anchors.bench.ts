/**
 * Anchors (issue 17): the W1 — webhook → set a field → if `value > 10` → code
 * (count/sum/mean/max of `items`, upper-case `name`) → respond JSON — in Revflow and in a pinned
 * Node-RED, side by side in one invocation, alternating rounds, so a slow minute of this shared
 * machine slows both and the ratio still means something.
 *
 * Node-RED is installed on demand outside the project's dependency tree (it is never a
 * dependency of Revflow): `npm install --prefix <cache>/node-red-<version> node-red@<version>`.
 *
 * Run alone:  npm run bench -- anchors
 * Options (environment):
 *   REVFLOW_BENCH_ANCHOR_ROUNDS=3            alternating rounds
 *   REVFLOW_BENCH_ANCHOR_SECONDS=15          load per point (after a 2 s warm-up)
 *   REVFLOW_BENCH_ANCHOR_CONNECTIONS=10,50
 *   REVFLOW_BENCH_NODE_RED_VERSION=4.1.15
 *   REVFLOW_BENCH_CACHE=~/.cache/revflow-bench
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { findFreePort } from '../api/db/ports.js';
import { loadAverage, rssSampler, waitForHttp, type Proc } from './procs.js';
import { median, type Figure } from './stats.js';
import { load, setUpWebhookWorkflow, startStack, stopStack, type Stack } from './w1.bench.js';

export const anchorBody = JSON.stringify({
  value: 42,
  name: 'bench',
  items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
});
const expectedAnswer = { count: 10, sum: 55, mean: 5.5, max: 10, name: 'BENCH', checked: true };

const aggregate = `const items = INPUT.items;
let sum = 0;
let max = -Infinity;
for (const item of items) { sum += item; if (item > max) max = item; }
return { count: items.length, sum, mean: sum / items.length, max, name: INPUT.name.toUpperCase(), checked: CHECKED };`;

/** The W1 as a Revflow document. */
export const anchorW1Document: WorkflowDocumentInput = {
  schemaVersion: 1,
  name: 'W1 (anchor)',
  nodes: [
    { id: 'hook', type: 'trigger.webhook', config: { path: 'anchor-w1', responseMode: 'respondNode' } },
    { id: 'mark', type: 'data.set', config: { fields: [{ name: 'checked', value: true }] } },
    { id: 'big', type: 'logic.if', config: { condition: { '>': [{ var: 'input.body.value' }, 10] } } },
    {
      id: 'stats',
      type: 'code.javascript',
      config: {
        source: aggregate.replace(/INPUT/g, 'input.body').replace('CHECKED', 'input.checked'),
      },
    },
    { id: 'reply', type: 'webhook.respond', config: { status: 200 } },
  ],
  edges: [
    { from: 'hook', to: 'mark' },
    { from: 'mark', to: 'big' },
    { from: 'big', fromPort: 'true', to: 'stats' },
    { from: 'stats', to: 'reply' },
  ],
};

/** The same W1 as a Node-RED flow: http in → change → switch → function → http response. */
function nodeRedFlow(): unknown[] {
  return [
    { id: 'w1tab', type: 'tab', label: 'W1' },
    { id: 'in', type: 'http in', z: 'w1tab', url: '/w1', method: 'post', upload: false, wires: [['mark']] },
    {
      id: 'mark',
      type: 'change',
      z: 'w1tab',
      rules: [{ t: 'set', p: 'payload.checked', pt: 'msg', to: 'true', tot: 'bool' }],
      wires: [['big']],
    },
    {
      id: 'big',
      type: 'switch',
      z: 'w1tab',
      property: 'payload.value',
      propertyType: 'msg',
      rules: [{ t: 'gt', v: '10', vt: 'num' }],
      checkall: 'true',
      outputs: 1,
      wires: [['stats']],
    },
    {
      id: 'stats',
      type: 'function',
      z: 'w1tab',
      func: `msg.payload = (() => { ${aggregate
        .replace(/INPUT/g, 'msg.payload')
        .replace('CHECKED', 'msg.payload.checked')} })();\nreturn msg;`,
      outputs: 1,
      wires: [['out']],
    },
    { id: 'out', type: 'http response', z: 'w1tab', statusCode: '200', headers: {}, wires: [] },
  ];
}

/** Node-RED at a pinned version, installed once into the bench cache (outside the project). */
function ensureNodeRed(version: string): string {
  const cache = process.env.REVFLOW_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'revflow-bench');
  const prefix = path.join(cache, `node-red-${version}`);
  const entry = path.join(prefix, 'node_modules', 'node-red', 'red.js');
  if (!existsSync(entry)) {
    process.stderr.write(`  installing node-red@${version} into ${prefix}…\n`);
    execFileSync(
      'npm',
      ['install', '--prefix', prefix, `node-red@${version}`, '--no-audit', '--no-fund', '--omit=dev'],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
  }
  return entry;
}

async function startNodeRed(entry: string, dir: string): Promise<{ proc: Proc; url: string }> {
  const port = await findFreePort();
  await writeFile(path.join(dir, 'flows.json'), JSON.stringify(nodeRedFlow()));
  const settings = path.join(dir, 'settings.cjs');
  await writeFile(
    settings,
    `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      uiPort: port,
      userDir: dir,
      flowFile: 'flows.json',
      disableEditor: true,
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      diagnostics: { enabled: false, ui: false },
      runtimeState: { enabled: false, ui: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
      telemetry: { enabled: false },
    })};\n`,
  );
  const child = spawn(process.execPath, [entry, '--userDir', dir, '--settings', settings], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const keep = (chunk: Buffer): void => {
    logs.push(...chunk.toString().split('\n').filter(Boolean));
    logs.splice(0, Math.max(0, logs.length - 100));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: Proc = {
    name: 'node-red',
    pid: child.pid!,
    child,
    logs,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
  const url = `http://127.0.0.1:${port}/w1`;
  // Node-RED answers 404 on / with the editor disabled: wait for the flow's own route.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: anchorBody,
      });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`Node-RED did not start:\n${logs.slice(-20).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { proc, url };
}

async function answerOf(url: string): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: anchorBody,
  });
  return response.json();
}

export async function benchAnchors(): Promise<Figure[]> {
  const rounds = Number(process.env.REVFLOW_BENCH_ANCHOR_ROUNDS ?? 3);
  const seconds = Number(process.env.REVFLOW_BENCH_ANCHOR_SECONDS ?? 15);
  const connectionCounts = (process.env.REVFLOW_BENCH_ANCHOR_CONNECTIONS ?? '10,50').split(',').map(Number);
  const version = process.env.REVFLOW_BENCH_NODE_RED_VERSION ?? '4.1.15';
  const entry = ensureNodeRed(version);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'revflow-anchors-'));
  await chmod(tmp, 0o711);
  await mkdir(path.join(tmp, 'revflow'), { mode: 0o711 });
  await mkdir(path.join(tmp, 'node-red'));
  let stack: Stack | undefined;
  let nodeRed: { proc: Proc; url: string } | undefined;
  const figures: Figure[] = [];
  try {
    stack = await startStack('embedded', path.join(tmp, 'revflow'), undefined, undefined);
    await waitForHttp(`${stack.baseUrl}/readyz`, stack.api);
    const revflowUrl = await setUpWebhookWorkflow(stack.baseUrl, anchorW1Document, {
      path: 'anchor-w1',
      body: anchorBody,
      answerIncludes: '"name":"BENCH"',
    });
    nodeRed = await startNodeRed(entry, path.join(tmp, 'node-red'));
    const answers = { revflow: await answerOf(revflowUrl), nodeRed: await answerOf(nodeRed.url) };
    for (const [who, answer] of Object.entries(answers)) {
      if (!isDeepStrictEqual(answer, expectedAnswer)) {
        throw new Error(`${who} answered ${JSON.stringify(answer)}, not ${JSON.stringify(expectedAnswer)}`);
      }
    }
    const targets = [
      { name: `Node-RED ${version}`, url: nodeRed.url, pid: nodeRed.proc.pid },
      { name: 'Revflow', url: revflowUrl, pid: stack.api.pid },
    ];
    const samples = new Map<string, { rps: number[]; p50: number[]; p99: number[]; rss: number[] }>();
    for (let round = 1; round <= rounds; round += 1) {
      for (const connections of connectionCounts) {
        // Alternate which one goes first, so neither always gets the warmer minute.
        const order = round % 2 === 1 ? targets : [...targets].reverse();
        for (const target of order) {
          await load(target.url, connections, 2, anchorBody);
          const rss = rssSampler(() => [target.pid]);
          const result = await load(target.url, connections, seconds, anchorBody);
          const peak = rss.stop();
          const key = `${target.name}@${connections}`;
          const entryFor = samples.get(key) ?? { rps: [], p50: [], p99: [], rss: [] };
          entryFor.rps.push(result.requestsPerSecond);
          entryFor.p50.push(result.p50);
          entryFor.p99.push(result.p99);
          entryFor.rss.push(peak);
          samples.set(key, entryFor);
          if (result.errors + result.non2xx > 0) {
            throw new Error(`${target.name} had ${result.errors + result.non2xx} errors or non-2xx answers`);
          }
          process.stderr.write(
            `  round ${round}, ${target.name}, c${connections}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.p99} ms (load ${loadAverage()})\n`,
          );
        }
      }
    }
    const load1 = loadAverage();
    for (const connections of connectionCounts) {
      for (const target of targets) {
        const s = samples.get(`${target.name}@${connections}`)!;
        const label = `W1 anchor ${target.name}, ${connections} conns`;
        const rounded = s.rps.map((value) => Math.round(value)).join(' / ');
        figures.push({
          name: `${label}: requests/s (median of ${rounded})`,
          value: median(s.rps),
          unit: 'req/s',
          load: load1,
        });
        figures.push({
          name: `${label}: p50 latency (median)`,
          value: median(s.p50),
          unit: 'ms',
          load: load1,
        });
        figures.push({
          name: `${label}: p99 latency (median)`,
          value: median(s.p99),
          unit: 'ms',
          ...(target.name === 'Revflow' && { target: '≤ 40 ms' }),
          load: load1,
        });
        figures.push({
          name: `${label}: peak RSS`,
          value: Math.max(...s.rss),
          unit: 'MB',
          ...(target.name === 'Revflow' && { target: '< 500 MB' }),
          load: load1,
        });
      }
      const revflow = samples.get(`Revflow@${connections}`)!;
      const nodeRedSamples = samples.get(`${targets[0]!.name}@${connections}`)!;
      figures.push({
        name: `W1 anchor ratio Revflow / Node-RED, ${connections} conns (requests/s, medians)`,
        value: median(revflow.rps) / median(nodeRedSamples.rps),
        unit: '×',
        target: '≥ 1.0×',
        load: load1,
      });
    }
    return figures;
  } finally {
    await nodeRed?.proc.stop();
    await stopStack(stack);
    await rm(tmp, { recursive: true, force: true });
  }
}
