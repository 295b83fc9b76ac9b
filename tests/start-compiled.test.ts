/**
 * `npm start` runs the compiled server (dist/, built by `npm run build` before the tests, issue
 * 17), not the TypeScript the other tests load through tsx: every module the server imports,
 * the workflow templates under canvas/ among them, must be in dist/ and resolve there.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dist = new URL('../dist/', import.meta.url);

describe('the compiled server', () => {
  it('resolves the whole route graph from dist/, templates included', async () => {
    expect(existsSync(new URL('api/main.js', dist))).toBe(true);
    const routes = (await import(new URL('api/routes.js', dist).href)) as Record<string, unknown>;
    expect(Object.keys(routes).length).toBeGreaterThan(0);
    const catalog = (await import(new URL('api/templates/catalog.js', dist).href)) as {
      templateCatalog: () => Array<{ id: string }>;
    };
    expect(catalog.templateCatalog().map((template) => template.id)).toContain('billing-trial-ending');
  });

  it('finds the canvas build where the app serves it from', () => {
    expect(existsSync(new URL('canvas/dist/index.html', dist))).toBe(true);
  });
});
