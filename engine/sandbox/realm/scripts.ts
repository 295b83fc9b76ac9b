import { readFileSync } from 'node:fs';

/**
 * The scripts that build an isolate's hardened realm, in the order they must run. They are
 * plain JavaScript files evaluated inside the isolate (never imported by Node): runtime.js
 * captures the intrinsics it needs, guards.js wraps the builtins that can escape the CPU
 * and memory limits, harden.js removes leaky globals and deep-freezes everything.
 */
export interface RealmScript {
  filename: string;
  source: string;
}

function load(name: string): RealmScript {
  return { filename: `revflow:${name}`, source: readFileSync(new URL(`./${name}`, import.meta.url), 'utf8') };
}

export const realmScripts = {
  runtime: load('runtime.js'),
  guards: load('guards.js'),
  harden: load('harden.js'),
} as const;
