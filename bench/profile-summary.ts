/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`): top self-time functions and self time
 * grouped by area (express, pino, pg, engine, sandbox, ...).
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=40]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const top = Number(process.argv[3] ?? 40);
// Optional window in seconds after the profile started, e.g. 12.5..24.5 (the load phase).
const [fromS, toS] = (process.argv[4] ?? '0..1e9').split('..').map(Number) as [number, number];
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
let at = profile.startTime;
let first = Number.POSITIVE_INFINITY;
let last = 0;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  const offset = (at - profile.startTime) / 1e6;
  if (offset < fromS || offset > toS) return;
  first = Math.min(first, at);
  last = Math.max(last, at);
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const totalUs = last - first;

const short = (url: string): string =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, 'nm:')
    .replace(/^.*\/main\//, '');

function area(frame: CallFrame): string {
  const url = frame.url;
  const name = frame.functionName;
  if (name === '(idle)') return '(idle)';
  if (name === '(garbage collector)') return '(gc)';
  if (name === '(program)') return '(program: native/V8 outside JS)';
  if (
    url.includes('/pino-http/') ||
    url.includes('/pino/') ||
    url.includes('/pino-std-serializers/') ||
    url.includes('thread-stream') ||
    url.includes('sonic-boom')
  )
    return 'pino / pino-http logging';
  if (
    url.includes('/express/') ||
    url.includes('/router/') ||
    url.includes('/body-parser/') ||
    url.includes('/raw-body/') ||
    url.includes('/helmet/') ||
    url.includes('/send/') ||
    url.includes('/finalhandler/') ||
    url.includes('/qs/') ||
    url.includes('/content-type/') ||
    url.includes('/type-is/') ||
    url.includes('/mime') ||
    url.includes('/on-finished/') ||
    url.includes('/path-to-regexp/') ||
    url.includes('/accepts/') ||
    url.includes('/negotiator/') ||
    url.includes('/etag/') ||
    url.includes('/fresh/') ||
    url.includes('/cookie') ||
    url.includes('/statuses/') ||
    url.includes('/depd/') ||
    url.includes('/parseurl/') ||
    url.includes('/iconv-lite/') ||
    url.includes('/vary/')
  )
    return 'express + middleware';
  if (url.includes('/prom-client/')) return 'prom-client metrics';
  if (
    url.includes('/pg/') ||
    url.includes('/pg-protocol/') ||
    url.includes('/pg-types/') ||
    url.includes('/pg-pool/') ||
    url.includes('/postgres-') ||
    url.includes('/pg-connection-string/')
  )
    return 'pg driver + protocol';
  if (url.includes('/knex/') || url.includes('/tarn/')) return 'knex';
  if (url.includes('/objection/')) return 'objection';
  if (
    url.includes('/bullmq/') ||
    url.includes('/ioredis/') ||
    url.includes('/msgpackr/') ||
    url.includes('/cluster-key-slot/') ||
    url.includes('/redis-')
  )
    return 'bullmq / ioredis';
  if (url.includes('/isolated-vm/') || url.includes('/engine/sandbox/'))
    return 'sandbox (isolated-vm, engine/sandbox)';
  if (url.includes('/zod/')) return 'zod';
  if (url.includes('/json-logic-js/')) return 'json-logic';
  if (url.includes('/engine/')) return 'engine (host JS)';
  if (url.includes('/nodes/')) return 'nodes';
  if (url.includes('/api/')) return 'api (revflow)';
  if (url.startsWith('node:') || url === '') {
    if (/^(stringify|parse)$/.test(name) || name.includes('JSON')) return 'JSON (native)';
    if (url.includes('http') || url.includes('net') || url.includes('stream') || url.includes('_http'))
      return 'node http/net/streams';
    if (url === '') return `native: ${name || '(anonymous)'}`;
    return 'node core (other)';
  }
  if (url.includes('/tsx/') || url.includes('/esbuild/')) return 'tsx loader';
  if (url.includes('node_modules')) return `other module: ${short(url).split('/')[0]}`;
  return 'other';
}

const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
for (const [id, us] of selfUs) {
  const frame = byId.get(id)!.callFrame;
  const key = `${frame.functionName || '(anonymous)'}  ${short(frame.url)}:${frame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const group = area(frame);
  byArea.set(group, (byArea.get(group) ?? 0) + us);
}
// Inclusive ("total") time: each sample counts once for every distinct function on its stack.
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)!.callFrame;
    if (!frame.url || frame.functionName === '(root)') continue;
    const key = `${frame.functionName || '(anonymous)'}  ${short(frame.url)}:${frame.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
const busyUs = totalUs - (byArea.get('(idle)') ?? 0);
const pct = (us: number, of: number): string => `${((us / of) * 100).toFixed(1)}%`;
console.log(
  `profile ${file}: ${(totalUs / 1e6).toFixed(1)} s wall, ${(busyUs / 1e6).toFixed(1)} s busy (non-idle)\n`,
);
console.log('| area | self ms | % of busy |');
console.log('|---|---|---|');
for (const [name, us] of [...byArea].sort((a, b) => b[1] - a[1])) {
  if (name === '(idle)') continue;
  console.log(`| ${name} | ${(us / 1000).toFixed(0)} | ${pct(us, busyUs)} |`);
}
console.log(`\n| top self-time function | self ms | % of busy |`);
console.log('|---|---|---|');
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`| ${name.replace(/\|/g, '\\|')} | ${(us / 1000).toFixed(0)} | ${pct(us, busyUs)} |`);
}

console.log(`\n| top inclusive-time function (revflow code and chosen middleware) | total ms | % of busy |`);
console.log('|---|---|---|');
for (const [name, us] of [...inclusive]
  .filter(([name]) => !name.includes('node:') && !name.includes('nm:tsx'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  console.log(`| ${name.replace(/\|/g, '\\|')} | ${(us / 1000).toFixed(0)} | ${pct(us, busyUs)} |`);
}
