/**
 * Issue 17: a code step crosses into the sandbox process asynchronously (answers are read on a
 * thread of their own), so the host's event loop goes on while user code runs. These tests pin
 * what must not change with that: answers in order, one user's OOM failing only its own call
 * (calls queued behind it run on a new process), expressions still synchronous, and a host
 * that uses the sandbox still exits at once.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Json } from '../engine/json.js';
import type { ExpressionScope } from '../engine/node.js';
import { IsolateSandbox } from '../engine/sandbox/isolate-sandbox.js';
import { SandboxError } from '../engine/sandbox/types.js';

const scopeOf = (input: Json): ExpressionScope => ({
  input,
  trigger: null,
  nodes: new Map<string, Json>(),
  run: { id: 'run' },
  workspace: { id: 'ws' },
  vars: {},
});

// A CPU limit well above what the memory bomb needs, also when other test files load the machine.
const sandbox = new IsolateSandbox({ limits: { memoryMb: 64, cpuTimeoutMs: 10_000 } });
afterAll(() => sandbox.dispose());
const workspace = '00000000-0000-4000-8000-000000000017';

describe('the asynchronous crossing into the sandbox process', () => {
  it('lets the event loop run while a code step runs over there', async () => {
    const session = sandbox.session(workspace);
    await session.runCode('return 1', null, scopeOf(null)); // warm the isolate
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 5);
    const result = await session.runCode(
      'const end = Date.now() + 300; let n = 0; while (Date.now() < end) n++; return n > 0',
      null,
      scopeOf(null),
    );
    clearInterval(timer);
    session.close();
    expect(result.value).toBe(true);
    // A blocking crossing would have held every timer for the whole 300 ms.
    expect(ticks).toBeGreaterThan(10);
  });

  it('answers many runs in flight at once, each with its own result, and expressions in between', async () => {
    const sessions = Array.from({ length: 40 }, () => sandbox.session(workspace));
    const calls = sessions.map((session, i) => {
      const input = { n: i, name: `r${i}` };
      return session.runCode(
        'return { doubled: input.n * 2, name: input.name.toUpperCase() }',
        input,
        scopeOf(input),
      );
    });
    // A synchronous expression of a run whose code call is still out there waits for it.
    const [value] = sessions[3]!.evaluate(['input.n + 100'], scopeOf({ n: 3, name: 'r3' }));
    expect(value).toBe(103);
    const results = await Promise.all(calls);
    results.forEach((result, i) => expect(result.value).toEqual({ doubled: i * 2, name: `R${i}` }));
    for (const session of sessions) session.close();
  });

  it('fails only the call whose code exhausts memory; the calls queued behind it run on a new process', async () => {
    const bomb = sandbox.session(workspace);
    const others = Array.from({ length: 5 }, () => sandbox.session(workspace));
    const exploding = bomb.runCode(
      'const a = []; for (let i = 0; ; i++) a[i * 100] = i;',
      null,
      scopeOf(null),
    );
    const queued = others.map((session, i) => session.runCode('return input * 3', i, scopeOf(i)));
    const error = await exploding.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(SandboxError);
    expect({ kind: (error as SandboxError).kind, message: (error as SandboxError).message }).toMatchObject({
      kind: 'memory',
    });
    expect((await Promise.all(queued)).map((result) => result.value)).toEqual([0, 3, 6, 9, 12]);
    for (const session of [bomb, ...others]) session.close();
  });

  it('does not hold up the exit of a process that used the sandbox', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = path.join(tmpdir(), `revflow-sandbox-exit-${process.pid}.mts`);
    const entry = path.join(here, '..', 'engine', 'sandbox', 'isolate-sandbox.ts');
    writeFileSync(
      script,
      `import { IsolateSandbox } from ${JSON.stringify(entry)};
const sandbox = new IsolateSandbox();
const session = sandbox.session('w');
const scope = { input: 1, trigger: null, nodes: new Map(), run: {}, workspace: {}, vars: {} };
const { value } = await session.runCode('return input + 1', 1, scope);
console.log('value', value);
process.exit(0);\n`,
    );
    const started = Date.now();
    const output = execFileSync(process.execPath, ['--no-node-snapshot', '--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(output).toContain('value 2');
    // Cold start of two Node processes and an isolate, then an immediate exit (it once hung).
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
