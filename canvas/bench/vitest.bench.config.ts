import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

/** `npx vitest run --config canvas/bench/vitest.bench.config.ts`: the canvas benchmark (not part of npm test). */
export default mergeConfig(
  base,
  defineConfig({ test: { include: ['canvas/bench/*.bench-run.ts'], testTimeout: 120_000 } }),
);
