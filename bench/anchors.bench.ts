/**
 * Over 400 lines on purpose: the two flows, the Node-RED harness and the A/B rounds are one
 * measurement and read best together.
 *
 * Anchors (issue 17): the issue's W1 — webhook → set a field → if `value > 10` → code
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
 *   REVFLOW_BENCH_ANCHOR_NODE_RED=0           leave Node-RED out (a quick A/B of Revflow builds)
 *   REVFLOW_BENCH_ANCHOR_VARIANTS='[{"name":"before","root":"/tmp/base"},{"name":"after"}]'
 *       Revflow builds to compare, alternating in the same rounds: another tree (`root`),
 *       another `entry` (node arguments, e.g. ["dist/server/main.js"]), extra `env`.
 *       Default one variant, "Revflow", this tree as `npm start` runs it.
 *   REVFLOW_BENCH_CPU_PROF=<dir>              every Revflow server with --cpu-prof into <dir>
 *
 * RSS is the server process's, and separately the server with its sandbox process (the child
 * that holds the isolates), both without Postgres.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { findFreePort } from '../api/db/ports.js';
import {
  cpuMsOf,
  descendants,
  loadAverage,
  rssSampler,
  waitForHttp,
  type Proc,
  type RevflowLaunch,
} from './procs.js';
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

/** The issue's W1 as a Revflow document. */
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

interface Variant {
  name: string;
  root?: string;
  entry?: string[];
  env?: Record<string, string>;
}

function variantsFromEnv(): Variant[] {
  const text = process.env.REVFLOW_BENCH_ANCHOR_VARIANTS;
  if (!text) return [{ name: 'Revflow' }];
  const parsed = JSON.parse(text) as Variant[];
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.some((v) => typeof v.name !== 'string'))
    throw new Error('REVFLOW_BENCH_ANCHOR_VARIANTS: a JSON list of { name, root?, entry?, env? }');
  return parsed;
}

interface Target {
  name: string;
  url: string;
  pid: number;
  revflow: boolean;
}

interface Samples {
  rps: number[];
  p50: number[];
  p99: number[];
  rss: number[];
  rssWithSandbox: number[];
  /** Server + sandbox process CPU ms per request, and Postgres's (all backends). */
  cpu: number[];
  pgCpu: number[];
}

export async function benchAnchors(): Promise<Figure[]> {
  const rounds = Number(process.env.REVFLOW_BENCH_ANCHOR_ROUNDS ?? 3);
  const seconds = Number(process.env.REVFLOW_BENCH_ANCHOR_SECONDS ?? 15);
  const connectionCounts = (process.env.REVFLOW_BENCH_ANCHOR_CONNECTIONS ?? '10,50').split(',').map(Number);
  const version = process.env.REVFLOW_BENCH_NODE_RED_VERSION ?? '4.1.15';
  const withNodeRed = process.env.REVFLOW_BENCH_ANCHOR_NODE_RED !== '0';
  const variants = variantsFromEnv();
  const cpuProfDir = process.env.REVFLOW_BENCH_CPU_PROF;
  const entry = withNodeRed ? ensureNodeRed(version) : '';
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'revflow-anchors-'));
  await chmod(tmp, 0o711);
  await mkdir(path.join(tmp, 'node-red'));
  const stacks: Stack[] = [];
  let nodeRed: { proc: Proc; url: string } | undefined;
  const figures: Figure[] = [];
  try {
    const targets: Target[] = [];
    for (const [index, variant] of variants.entries()) {
      const dir = path.join(tmp, `revflow-${index}`);
      await mkdir(dir, { mode: 0o711 });
      const launch: RevflowLaunch = { root: variant.root, entry: variant.entry };
      const stack = await startStack('embedded', dir, undefined, cpuProfDir, { launch, env: variant.env });
      stacks.push(stack);
      await waitForHttp(`${stack.baseUrl}/readyz`, stack.api);
      const url = await setUpWebhookWorkflow(stack.baseUrl, anchorW1Document, {
        path: 'anchor-w1',
        body: anchorBody,
        answerIncludes: '"name":"BENCH"',
      });
      targets.push({ name: variant.name, url, pid: stack.api.pid, revflow: true });
    }
    if (withNodeRed) {
      nodeRed = await startNodeRed(entry, path.join(tmp, 'node-red'));
      targets.unshift({
        name: `Node-RED ${version}`,
        url: nodeRed.url,
        pid: nodeRed.proc.pid,
        revflow: false,
      });
    }
    for (const target of targets) {
      const answer = await answerOf(target.url);
      if (!isDeepStrictEqual(answer, expectedAnswer)) {
        throw new Error(
          `${target.name} answered ${JSON.stringify(answer)}, not ${JSON.stringify(expectedAnswer)}`,
        );
      }
    }
    const samples = new Map<string, Samples>();
    for (let round = 1; round <= rounds; round += 1) {
      for (const connections of connectionCounts) {
        // Rotate which one goes first, so none always gets the warmer minute.
        const shift = (round - 1) % targets.length;
        const order = [...targets.slice(shift), ...targets.slice(0, shift)];
        for (const target of order) {
          await load(target.url, connections, 2, anchorBody);
          // The sandbox process (isolates) is the server's child: counted apart and together.
          const children = target.revflow ? descendants(target.pid, 'node') : [];
          const pgPids = target.revflow ? descendants(target.pid, 'postgres') : [];
          const cpuBefore = [cpuMsOf([target.pid, ...children]), cpuMsOf(pgPids)];
          const rss = rssSampler(() => [target.pid]);
          const rssAll = rssSampler(() => [target.pid, ...children]);
          const result = await load(target.url, connections, seconds, anchorBody);
          const peak = rss.stop();
          const peakAll = rssAll.stop();
          // CPU per request is far steadier than requests/s on a machine others load too.
          const [cpu, pgCpu] = [cpuMsOf([target.pid, ...children]), cpuMsOf(pgPids)].map(
            (after, i) => (after - cpuBefore[i]!) / Math.max(1, result.total),
          );
          const key = `${target.name}@${connections}`;
          const entryFor = samples.get(key) ?? {
            rps: [],
            p50: [],
            p99: [],
            rss: [],
            rssWithSandbox: [],
            cpu: [],
            pgCpu: [],
          };
          entryFor.rps.push(result.requestsPerSecond);
          entryFor.p50.push(result.p50);
          entryFor.p99.push(result.p99);
          entryFor.rss.push(peak);
          entryFor.rssWithSandbox.push(peakAll);
          entryFor.cpu.push(cpu!);
          entryFor.pgCpu.push(pgCpu!);
          samples.set(key, entryFor);
          if (result.errors + result.non2xx > 0) {
            throw new Error(`${target.name} had ${result.errors + result.non2xx} errors or non-2xx answers`);
          }
          process.stderr.write(
            `  round ${round}, ${target.name}, c${connections}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, RSS ${peak.toFixed(0)} MB, CPU/req ${cpu!.toFixed(3)} ms${target.revflow ? ` + Postgres ${pgCpu!.toFixed(3)} ms` : ''} (load ${loadAverage()})\n`,
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
          ...(target.revflow && connections === 50 && { target: '≤ 40 ms' }),
          load: load1,
        });
        figures.push({
          name: `${label}: peak RSS${target.revflow ? ', server process' : ''}`,
          value: Math.max(...s.rss),
          unit: 'MB',
          ...(target.revflow && { target: '< 500 MB' }),
          load: load1,
        });
        figures.push({
          name: `${label}: CPU per request${target.revflow ? ', server + sandbox process' : ''} (median)`,
          value: median(s.cpu),
          unit: 'ms',
          load: load1,
        });
        if (target.revflow) {
          figures.push({
            name: `${label}: peak RSS, server + sandbox process`,
            value: Math.max(...s.rssWithSandbox),
            unit: 'MB',
            load: load1,
          });
          figures.push({
            name: `${label}: CPU per request, Postgres (median)`,
            value: median(s.pgCpu),
            unit: 'ms',
            load: load1,
          });
        }
      }
      const revflows = targets.filter((target) => target.revflow);
      const rpsOf = (target: Target): number => median(samples.get(`${target.name}@${connections}`)!.rps);
      if (nodeRed) {
        for (const target of revflows) {
          figures.push({
            name: `W1 anchor ratio ${target.name} / Node-RED, ${connections} conns (requests/s, medians)`,
            value: rpsOf(target) / rpsOf(targets[0]!),
            unit: '×',
            target: '≥ 1.0×',
            load: load1,
          });
        }
      }
      for (const target of revflows.slice(1)) {
        // Paired: each round's two runs were minutes apart at most, so their ratio cancels most
        // of the machine's drift; the median of those ratios is the A/B figure.
        const a = samples.get(`${revflows[0]!.name}@${connections}`)!.rps;
        const b = samples.get(`${target.name}@${connections}`)!.rps;
        const paired = b.map((value, i) => value / a[i]!);
        figures.push({
          name: `W1 anchor A/B ${target.name} / ${revflows[0]!.name}, ${connections} conns (median of paired per-round ratios ${paired.map((r) => r.toFixed(2)).join(' / ')})`,
          value: median(paired),
          unit: '×',
          load: load1,
        });
      }
    }
    return figures;
  } finally {
    await nodeRed?.proc.stop();
    await Promise.all(stacks.map((stack) => stopStack(stack)));
    await rm(tmp, { recursive: true, force: true });
  }
}
