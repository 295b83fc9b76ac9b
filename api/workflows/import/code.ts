/**
 * n8n Code / Function / Function Item → `code.javascript`. The user's code is kept as written and
 * wrapped in a prelude that rebuilds n8n's item model on top of Revflow's one value (an array is
 * the list of items, anything else one item): `$input`, `items`, `$json`, `$('Node')`, `$node`,
 * `$env`/`$vars` (→ `vars`), `$execution.id`, `$now`. What the code returns is turned back into
 * one value: one item → its json, several → the array of their json.
 */

export type CodeMode = 'allItems' | 'eachItem' | 'functionItem';

export interface CodeWrap {
  source: string;
  problems: string[];
}

/** Reads of the sandbox that n8n code may use and Revflow's sandbox does not have. */
const UNAVAILABLE: ReadonlyArray<readonly [RegExp, string]> = [
  [/\brequire\s*\(/, 'require(): the sandbox has no modules'],
  [
    /\bthis\.helpers\b|\$helpers\b/,
    "n8n's this.helpers (HTTP, binary) are not available: use an HTTP request node",
  ],
  [/\$getWorkflowStaticData\b|getWorkflowStaticData\(/, 'workflow static data has no equivalent'],
  [/\bDateTime\.|\bluxon\b/, 'Luxon (DateTime) is not available: use Date'],
  [/\$binary\b|\.binary\b/, 'binary data: Revflow passes JSON only'],
  [/\$execution\.resumeUrl/, '$execution.resumeUrl: runs resume on product events, not a URL'],
  [/\bfetch\s*\(|XMLHttpRequest/, 'the sandbox has no network: use an HTTP request node'],
  [/\bsetTimeout\s*\(|setInterval\s*\(/, 'the sandbox has no timers: use a Delay node'],
];

/**
 * `refs` maps n8n node names to the JavaScript of their item json in the sandbox
 * (`nodes["fetch"]?.output?.body`).
 */
export function wrapCode(
  code: string,
  mode: CodeMode,
  inputBase: string,
  refs: ReadonlyMap<string, string>,
  title: string,
): CodeWrap {
  const problems = UNAVAILABLE.filter(([pattern]) => pattern.test(code)).map(([, reason]) => reason);
  const isAsync = /\bawait\b/.test(code);
  const refLines = [...refs].map(([name, js]) => `  ${JSON.stringify(name)}: () => ${js},`);
  const prelude = [
    `// Imported from the n8n node "${title.replace(/[\r\n]/g, ' ')}": n8n's items on top of Revflow's one value.`,
    'const __refs = {',
    ...refLines,
    '};',
    'const __items = (v) => (Array.isArray(v) ? v : [v === null || v === undefined ? {} : v]).map((json) => ({ json }));',
    'const __node = (name) => {',
    '  const get = __refs[name];',
    '  if (!get) throw new Error(`There is no node "${name}" in this workflow`);',
    '  const value = get();',
    '  if (value === undefined) throw new Error(`Node "${name}" has not run yet`);',
    '  const list = __items(value);',
    '  return { item: list[0], json: list[0] && list[0].json, first: () => list[0], last: () => list[list.length - 1], all: () => list, isExecuted: true };',
    '};',
    'const $ = __node;',
    "const $node = new Proxy({}, { get: (_, name) => (typeof name === 'string' ? __node(name) : undefined) });",
    'const $env = vars;',
    'const $vars = vars;',
    "const $execution = { id: run.id, mode: 'production' };",
    'const $workflow = { id: run.workflowId };',
    'const $now = new Date();',
    "const $today = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z');",
    'const $runIndex = 0;',
    `const __in = __items(${inputBase});`,
    'const $items = (name) => (name === undefined ? __in : __node(name).all());',
    'const __out = (r) => {',
    '  const list = (Array.isArray(r) ? r : [r]).map((i) =>',
    "    i !== null && typeof i === 'object' && !Array.isArray(i) && i.json !== null && typeof i.json === 'object' ? i.json : i);",
    '  return list.length === 1 ? list[0] : list;',
    '};',
  ];
  const fn = isAsync ? 'async' : '';
  const call = (args: string): string => (isAsync ? `await __run(${args})` : `__run(${args})`);
  let body: string[];
  if (mode === 'allItems') {
    body = [
      'const $input = { all: () => __in, first: () => __in[0], last: () => __in[__in.length - 1], item: __in[0] };',
      'const items = __in;',
      'const $json = __in[0] && __in[0].json;',
      `const __run = ${fn} () => {`,
      code,
      '};',
      `return __out(${call('')});`,
    ];
  } else {
    const params = mode === 'functionItem' ? 'item, $itemIndex' : '$input, $json, $itemIndex, item';
    const args =
      mode === 'functionItem'
        ? '__in[__i].json, __i'
        : '{ item: __in[__i], all: () => __in, first: () => __in[0], last: () => __in[__in.length - 1] }, __in[__i].json, __i, __in[__i]';
    body = [
      `const __run = ${fn} (${params}) => {`,
      code,
      '};',
      'const __results = [];',
      `for (let __i = 0; __i < __in.length; __i++) __results.push(${call(args)});`,
      'return __out(__results);',
    ];
  }
  return { source: [...prelude, ...body].join('\n'), problems };
}
