import {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN §1 as checks that can fail: no domain module builds an HTTP problem or imports a
 * routes file, and no import cycles (type imports count: they tie modules together just the same)
 * outside Objection's relation mappings.
 */

const ROOT = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every relative import (and re-export) of each file, resolved to a file; paths relative to `root`. */
function importGraph(root: string, folders: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of folders.flatMap((folder) => sourceFiles(join(root, folder)))) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((imported) => imported.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')))
      .filter((target) => existsSync(target))
      .map((target) => relative(root, target).split(sep).join('/'));
    graph.set(relative(root, file).split(sep).join('/'), targets);
  }
  return graph;
}

/** `routes.ts`, `stripe-routes.ts`, `routes-public.ts`: a feature's route definitions. */
const isRoutesFile = (file: string): boolean =>
  /(^|\/)(([a-z0-9-]+-)?routes|routes-[a-z0-9-]+)\.ts$/.test(file);

/**
 * The HTTP layer outside api/http: Express middleware and handlers that answer requests
 * themselves (CSRF, authentication, webhook ingress and its rate limit). Named, not guessed.
 */
const HTTP_EDGE_MODULES = new Set([
  'api/app.ts',
  'api/auth/csrf.ts',
  'api/auth/resolver.ts',
  'api/hooks/ingress.ts',
  'api/hooks/rate-limit.ts',
]);

/** HTTP modules may build problems: api/http, routes files and the HTTP edge modules. */
function isHttpModule(file: string): boolean {
  return file.startsWith('api/http/') || isRoutesFile(file) || HTTP_EDGE_MODULES.has(file);
}

/** Domain modules under api/ that import api/http/problem.ts or a routes file. */
function domainModulesBuildingProblems(root: string): string[] {
  const graph = importGraph(root, ['api']);
  return [...graph]
    .filter(([file]) => !isHttpModule(file))
    .filter(([, targets]) =>
      targets.some((target) => target === 'api/http/problem.ts' || isRoutesFile(target)),
    )
    .map(([file]) => file)
    .sort();
}

/** Strongly connected groups of more than one module (Tarjan), each sorted. */
function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

/**
 * Known offenders in other people's folders, to convert (issue 20): each is named so a new one
 * fails at once. Remove a line when its module is converted.
 */
const KNOWN_PROBLEM_BUILDERS = new Set([
  'api/auth/principal.ts', // role helpers throw forbidden()/unauthorized() problems
  'api/auth/users.ts', // signup throws conflict()
  'api/hooks/webhook-registry.ts', // a duplicate webhook path throws conflict()
]);

/** Cycles that are not Objection relation mappings, known and owned elsewhere (issue 20). */
const KNOWN_CYCLES: ReadonlyArray<readonly string[]> = [
  ['engine/store.ts', 'engine/waits.ts'], // WaitStore types vs the run store
  ['engine/runtime.ts', 'engine/signals.ts'], // signals name the Runtime type
];

/** A cycle among Objection models is how relation mappings name each other: allowed. */
const isObjectionMapping = (cycle: readonly string[]): boolean =>
  cycle.every((file) => file.startsWith('api/db/models/'));

/** Feature node services and api/services.ts wire each other while features are being added. */
const isServicesWiring = (cycle: readonly string[]): boolean =>
  cycle.every((file) => file === 'api/services.ts' || /^api\/[a-z-]+\/node-services?\.ts$/.test(file));

describe('no domain module builds an HTTP problem', () => {
  it('finds none under api/ beyond the known ones in other folders', () => {
    const found = domainModulesBuildingProblems(ROOT).filter((file) => !KNOWN_PROBLEM_BUILDERS.has(file));
    expect(found).toEqual([]);
  });

  it('holds billing, workspaces and workflows to it with no exception', () => {
    const found = domainModulesBuildingProblems(ROOT).filter((file) =>
      /^api\/(billing|workspaces|workflows|db|events)\//.test(file),
    );
    expect(found).toEqual([]);
  });

  it('fails for a store that imports problem.ts or a routes file, and passes a route that does', () => {
    const root = mkdtempSync(join(tmpdir(), 'revflow-structure-'));
    try {
      const write = (file: string, text: string): void => {
        mkdirSync(dirname(join(root, file)), { recursive: true });
        writeFileSync(join(root, file), text);
      };
      write('api/http/problem.ts', 'export class ProblemError extends Error {}\n');
      write(
        'api/shop/routes.ts',
        "import { ProblemError } from '../http/problem.js';\nexport const r = ProblemError;\n",
      );
      write(
        'api/shop/store.ts',
        "import { ProblemError } from '../http/problem.js';\nexport const s = ProblemError;\n",
      );
      write('api/shop/quota.ts', "import { r } from './routes.js';\nexport const q = r;\n");
      write('api/shop/clean.ts', "import type { Knex } from 'knex';\nexport type K = Knex;\n");
      expect(domainModulesBuildingProblems(root)).toEqual(['api/shop/quota.ts', 'api/shop/store.ts']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('no import cycles outside Objection relation mappings', () => {
  it('finds none in api/, engine/ and nodes/ beyond the known ones', () => {
    const known = new Set(KNOWN_CYCLES.map((cycle) => [...cycle].sort().join(' ')));
    const cycles = importCycles(importGraph(ROOT, ['api', 'engine', 'nodes']))
      .filter((cycle) => !isObjectionMapping(cycle) && !isServicesWiring(cycle))
      .filter((cycle) => !known.has(cycle.join(' ')));
    expect(cycles).toEqual([]);
  });

  it('has broken billing/routes → http/context → runtime-factory → billing/run-quota → routes', () => {
    const cycles = importCycles(importGraph(ROOT, ['api', 'engine', 'nodes']));
    expect(cycles.filter((cycle) => cycle.some((file) => file.startsWith('api/billing/')))).toEqual([]);
    expect(importGraph(ROOT, ['api']).get('api/billing/run-quota.ts')).not.toContain('api/billing/routes.ts');
  });

  it('sees a cycle through a type import', () => {
    const root = mkdtempSync(join(tmpdir(), 'revflow-cycles-'));
    try {
      mkdirSync(join(root, 'api'), { recursive: true });
      writeFileSync(join(root, 'api/a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
      writeFileSync(join(root, 'api/b.ts'), "import { c } from './c.js';\nexport type B = typeof c;\n");
      writeFileSync(join(root, 'api/c.ts'), "import type { A } from './a.js';\nexport const c: A | 1 = 1;\n");
      expect(importCycles(importGraph(root, ['api']))).toEqual([['api/a.ts', 'api/b.ts', 'api/c.ts']]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
