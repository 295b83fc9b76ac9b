import { SandboxError } from './types.js';

/**
 * How user text becomes a function inside the isolate. The user's text always starts on the
 * wrapper's second line, so a V8 line number minus one is the line in the user's text.
 * (realm/runtime.js validates the same bodies; keep the two in step.)
 */
export type CompileMode = 'expression' | 'sync' | 'async';

const EXPRESSION_PARAMS = 'input, trigger, nodes, run, workspace, vars, $';
const CODE_PARAMS = 'input, trigger, nodes, run, workspace, vars, console, $';

export function wrapperFor(mode: CompileMode, source: string): string {
  switch (mode) {
    case 'expression':
      return `(function (${EXPRESSION_PARAMS}) { "use strict"; return (\n${source}\n); })`;
    // The body sits in a block so that `const input = ...` may shadow a parameter.
    case 'sync':
      return `(function (${CODE_PARAMS}) { "use strict"; {\n${source}\n} })`;
    case 'async':
      return `(async function (${CODE_PARAMS}) { "use strict"; {\n${source}\n} })`;
  }
}

/**
 * Code that never mentions `await` runs as a plain function: one crossing, no promise.
 * The test is textual on purpose: in a non-async strict function `await (x)` would parse as
 * a call to a function named `await`, so any mention of the word picks the async wrapper.
 */
export function codeModeOf(source: string): 'sync' | 'async' {
  return /\bawait\b/.test(source) ? 'async' : 'sync';
}

export const maxSourceLength = { expression: 64 * 1024, code: 1024 * 1024 } as const;

/**
 * isolated-vm reports a compile error as `Unexpected token ';' [code-3.js:2:11]`.
 * Returns the error with the position turned into a line of the user's text.
 */
export function syntaxErrorFrom(error: unknown, source: string): SandboxError {
  const raw = error instanceof Error ? error.message : String(error);
  const match = /^(.*) \[[^\]]*?:(\d+):(\d+)\]$/s.exec(raw);
  const message = `SyntaxError: ${match?.[1] ?? raw}`;
  if (match?.[2] === undefined) return new SandboxError('syntax', message);
  const userLines = source.split('\n').length;
  const line = Math.min(Math.max(Number(match[2]) - 1, 1), userLines);
  return new SandboxError('syntax', message, line);
}
