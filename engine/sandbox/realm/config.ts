/** Bounds the in-isolate runtime applies to what it hands back (realm/runtime.js). */
export const runtimeConfig = {
  maxErrorChars: 4_000,
  /** A result's JSON text; the executor applies the real output cap, this only protects the host. */
  maxResultChars: 64 * 1024 * 1024,
  maxLogLines: 200,
  maxLogLineChars: 4_000,
  maxLogChars: 64 * 1024,
} as const;

export interface GuardConfig {
  /** Longest array (or array-like) a length-walking builtin accepts. */
  maxElements: number;
  /** Most entries one Map or Set may hold. */
  maxCollectionSize: number;
  /** Longest text JSON.parse accepts. */
  maxJsonTextLength: number;
}

/**
 * Sizes for realm/guards.js. One allocation must stay well below what is left of the heap
 * (a bigger one is a fatal OOM for the whole process), and a native loop must stay well
 * below the CPU timeout, so the caps follow the memory limit and are capped absolutely.
 */
export function guardConfigFor(memoryMb: number): GuardConfig {
  const bytes = memoryMb * 1024 * 1024;
  return {
    maxElements: Math.min(2 ** 22, Math.floor(bytes / 32)),
    // Map/Set tables double in one allocation: keep the largest well under the heap.
    maxCollectionSize: 2 ** Math.floor(Math.log2(bytes / 256)),
    maxJsonTextLength: Math.floor(bytes / 8),
  };
}
