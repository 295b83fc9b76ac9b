import { wrapCode, type CodeMode } from './code.js';
import { parseJsonTemplate } from './json-template.js';
import { asArray, asBool, asNumber, asRecord, asString } from './params.js';
import { singlePort, type MapContext, type Mapped } from './types.js';

/** Set, Code / Function / Function Item, Split Out, Aggregate, Date & Time, Crypto, No Op. */

/** Thrown by a mapper when nothing of the node can be kept; the importer puts a placeholder. */
export class Unmappable extends Error {}

const code = (source: string): Mapped => ({
  type: 'code.javascript',
  config: { source },
  port: singlePort(),
});

export function passThrough(ctx: MapContext, why: string): Mapped {
  return code(
    `// ${why} (n8n node "${ctx.node.name.replace(/[\r\n]/g, ' ')}"): passes its input on.\nreturn input;`,
  );
}

function typed(value: unknown, type: string | undefined, ctx: MapContext): unknown {
  if (typeof value === 'string' && value.startsWith('=')) return ctx.value(value);
  if (type === 'number' || type === 'numberValue') {
    const number = asNumber(value);
    return number ?? (value === '' || value === undefined ? null : value);
  }
  if (type === 'boolean' || type === 'booleanValue') return value === true || value === 'true';
  if (
    (type === 'array' || type === 'object' || type === 'arrayValue' || type === 'objectValue') &&
    typeof value === 'string'
  ) {
    try {
      return ctx.value(JSON.parse(value) as unknown);
    } catch {
      ctx.partial(`the ${type} value of a field is not valid JSON`);
      return value;
    }
  }
  return ctx.value(value);
}

const splitList = (value: unknown): string[] =>
  (asString(value) ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

const FIELD = /^[^.]+(\.[^.]+)*$/;

export function setNode(ctx: MapContext): Mapped {
  const { params, node } = ctx;
  const version = node.typeVersion;
  const fields: Array<{ name: string; value: unknown }> = [];
  const remove: string[] = [];
  let keepInput: boolean;
  if (version >= 3) {
    const mode = asString(params.mode) ?? 'manual';
    if (mode === 'raw') {
      const acc = { problems: [] as string[], todos: [] as string[], vars: [] as string[] };
      const parsed = parseJsonTemplate(params.jsonOutput ?? '{}', ctx.env, acc);
      acc.problems.forEach((problem) => ctx.partial(problem));
      acc.todos.forEach((todo) => ctx.todo(todo));
      acc.vars.forEach((name) => ctx.usesVar(name));
      if (
        !parsed.ok ||
        parsed.value === null ||
        typeof parsed.value !== 'object' ||
        Array.isArray(parsed.value)
      ) {
        ctx.partial(parsed.ok ? 'the JSON output is not an object' : `JSON output: ${parsed.reason}`);
      } else {
        for (const [name, value] of Object.entries(parsed.value)) fields.push({ name, value });
      }
    } else if (version >= 3.3) {
      for (const entry of asArray(asRecord(params.assignments).assignments).map(asRecord)) {
        const name = asString(entry.name);
        if (name) fields.push({ name, value: typed(entry.value, asString(entry.type), ctx) });
      }
    } else {
      for (const entry of asArray(asRecord(params.fields).values).map(asRecord)) {
        const name = asString(entry.name);
        const type = asString(entry.type) ?? 'stringValue';
        if (name) fields.push({ name, value: typed(entry[type], type, ctx) });
      }
    }
    const include =
      version >= 3.3
        ? params.includeOtherFields === true
          ? (asString(params.include) ?? 'all')
          : 'none'
        : (asString(params.include) ?? 'all');
    keepInput = include === 'all' || include === 'except';
    if (include === 'except') remove.push(...splitList(params.excludeFields));
    if (include === 'selected')
      for (const name of splitList(params.includeFields))
        fields.unshift({ name, value: `{{ ${ctx.env.inputBase}[${JSON.stringify(name)}] }}` });
    if (
      asBool(asRecord(params.options).dotNotation, true) === false &&
      fields.some((f) => f.name.includes('.'))
    )
      ctx.partial('dot notation is off in n8n: names with dots become nested fields here');
  } else {
    const values = asRecord(params.values);
    for (const type of ['string', 'number', 'boolean']) {
      for (const entry of asArray(values[type]).map(asRecord)) {
        const name = asString(entry.name);
        if (name) fields.push({ name, value: typed(entry.value, type, ctx) });
      }
    }
    keepInput = params.keepOnlySet !== true;
  }
  const usable = fields.filter((field) => {
    const ok =
      field.name.length <= 200 &&
      FIELD.test(field.name) &&
      !/(^|\.)(__proto__|constructor|prototype)(\.|$)/.test(field.name);
    if (!ok) ctx.partial(`the field name "${field.name.slice(0, 60)}" cannot be a Revflow field path`);
    return ok;
  });
  if (ctx.node.executeOnce) ctx.todo('"execute once" is the default here: one value, one run');
  return {
    type: 'data.set',
    config: { fields: usable, keepInput, ...(remove.length ? { remove } : {}) },
    port: singlePort(),
  };
}

export function codeNode(ctx: MapContext): Mapped {
  const { params, node } = ctx;
  const type = node.type.replace(/^n8n-nodes-base\./, '');
  let source: string;
  let mode: CodeMode;
  if (type === 'code') {
    const language = asString(params.language) ?? 'javaScript';
    if (language !== 'javaScript')
      throw new Unmappable(`${language} code: Revflow's sandbox runs JavaScript only`);
    source = asString(params.jsCode) ?? '';
    mode = asString(params.mode) === 'runOnceForEachItem' ? 'eachItem' : 'allItems';
  } else {
    source = asString(params.functionCode) ?? '';
    mode = type === 'functionItem' ? 'functionItem' : 'allItems';
  }
  if (source.trim() === '') source = mode === 'allItems' ? 'return items;' : 'return item;';
  const wrapped = wrapCode(source, mode, ctx.env.inputBase, ctx.codeRefs, node.name);
  wrapped.problems.forEach((problem) => ctx.partial(problem));
  return code(wrapped.source);
}

const getter =
  "const __get = (o, path) => path.split('.').reduce((v, k) => (v === null || v === undefined ? undefined : v[k]), o);";

export function splitOut(ctx: MapContext): Mapped {
  const { params } = ctx;
  const fields = splitList(params.fieldToSplitOut);
  if (fields.length === 0) throw new Unmappable('no field to split out');
  const include = asString(params.include) ?? 'noOtherFields';
  const selected = splitList(params.fieldsToInclude);
  const destination = asString(asRecord(params.options).destinationFieldName) ?? '';
  return code(
    [
      `// n8n Split Out "${ctx.node.name.replace(/[\r\n]/g, ' ')}": one item per element, as an array value.`,
      getter,
      `const fields = ${JSON.stringify(fields)};`,
      `const include = ${JSON.stringify(include)};`,
      `const selected = ${JSON.stringify(selected)};`,
      `const destination = ${JSON.stringify(destination)};`,
      'const out = [];',
      `for (const json of Array.isArray(${ctx.env.inputBase}) ? ${ctx.env.inputBase} : [${ctx.env.inputBase} ?? {}]) {`,
      '  const lists = fields.map((f) => { const v = __get(json, f); return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]; });',
      '  const length = Math.max(0, ...lists.map((l) => l.length));',
      '  for (let i = 0; i < length; i++) {',
      '    let item = {};',
      "    if (include === 'allOtherFields') { item = { ...json }; for (const f of fields) delete item[f]; }",
      "    if (include === 'selectedOtherFields') for (const f of selected) item[f] = __get(json, f);",
      '    fields.forEach((f, k) => {',
      '      const v = lists[k][i];',
      "      if (fields.length === 1 && !destination && v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(item, v);",
      '      else item[(fields.length === 1 && destination) || f] = v;',
      '    });',
      '    out.push(item);',
      '  }',
      '}',
      'return out;',
    ].join('\n'),
  );
}

export function aggregate(ctx: MapContext): Mapped {
  const { params } = ctx;
  const base = ctx.env.inputBase;
  const head = [
    `// n8n Aggregate "${ctx.node.name.replace(/[\r\n]/g, ' ')}": the items (an array value) into one.`,
    getter,
    `const items = Array.isArray(${base}) ? ${base} : [${base} ?? {}];`,
  ];
  if ((asString(params.aggregate) ?? 'aggregateIndividualFields') === 'aggregateAllItemData') {
    const destination = asString(params.destinationFieldName) ?? 'data';
    const include = asString(params.include) ?? 'allFields';
    const listed = splitList(include === 'specifiedFields' ? params.fieldsToInclude : params.fieldsToExclude);
    return code(
      [
        ...head,
        `const include = ${JSON.stringify(include)};`,
        `const listed = ${JSON.stringify(listed)};`,
        'const pick = (json) => {',
        "  if (include === 'specifiedFields') return Object.fromEntries(listed.map((f) => [f, __get(json, f)]));",
        "  if (include === 'allFieldsExcept') { const copy = { ...json }; for (const f of listed) delete copy[f]; return copy; }",
        '  return json;',
        '};',
        `return { ${JSON.stringify(destination)}: items.map(pick) };`,
      ].join('\n'),
    );
  }
  const options = asRecord(params.options);
  const specs = asArray(asRecord(params.fieldsToAggregate).fieldToAggregate).map((entry) => {
    const item = asRecord(entry);
    const field = asString(item.fieldToAggregate) ?? '';
    const output = item.renameField === true ? (asString(item.outputFieldName) ?? field) : field;
    return { field, output };
  });
  return code(
    [
      ...head,
      `const specs = ${JSON.stringify(specs.filter((spec) => spec.field !== ''))};`,
      `const keepMissing = ${asBool(options.keepMissing, false)};`,
      `const mergeLists = ${asBool(options.mergeLists, false)};`,
      'const out = {};',
      'for (const { field, output } of specs) {',
      '  const values = items.map((json) => __get(json, field)).filter((v) => keepMissing || (v !== undefined && v !== null));',
      '  out[output] = mergeLists ? values.flat() : values;',
      '}',
      'return out;',
    ].join('\n'),
  );
}

/** Luxon / moment format tokens → date-fns (the Date & Time node formats with date-fns). */
function dateFnsFormat(format: string): string {
  return format
    .replace(/YYYY/g, 'yyyy')
    .replace(/YY/g, 'yy')
    .replace(/DD/g, 'dd')
    .replace(/\bD\b/g, 'd')
    .replace(/dddd/g, 'EEEE')
    .replace(/ddd/g, 'EEE')
    .replace(/A/g, 'a')
    .replace(/^X$/, 't')
    .replace(/^x$/, 'T');
}

const UNITS: Record<string, string> = {
  milliseconds: 'milliseconds',
  seconds: 'seconds',
  minutes: 'minutes',
  hours: 'hours',
  days: 'days',
  weeks: 'weeks',
  months: 'months',
  quarters: 'quarters',
  years: 'years',
};

function shiftCode(
  ctx: MapContext,
  date: unknown,
  amount: unknown,
  unit: string,
  sign: number,
  field: string,
): Mapped {
  const dateJs = date === undefined || date === '' ? 'new Date().toISOString()' : ctx.js(date);
  const unitName = UNITS[unit] ?? 'days';
  return {
    type: 'code.javascript',
    config: {
      source: [
        `// n8n Date & Time "${ctx.node.name.replace(/[\r\n]/g, ' ')}": shifts a date by ${sign < 0 ? '-' : ''}${String(amount)} ${unitName}.`,
        `const at = new Date(${dateJs});`,
        `const amount = ${sign} * Number(${ctx.js(amount ?? 0)});`,
        `const unit = ${JSON.stringify(unitName)};`,
        'const ms = { milliseconds: 1, seconds: 1e3, minutes: 6e4, hours: 36e5, days: 864e5, weeks: 6048e5 }[unit];',
        "if (ms) at.setTime(at.getTime() + amount * ms); else at.setUTCMonth(at.getUTCMonth() + amount * (unit === 'years' ? 12 : unit === 'quarters' ? 3 : 1));",
        `return { ...(input !== null && typeof input === 'object' && !Array.isArray(input) ? input : {}), ${JSON.stringify(field)}: at.toISOString() };`,
      ].join('\n'),
    },
    port: singlePort(),
  };
}

export function dateTime(ctx: MapContext): Mapped {
  const { params } = ctx;
  const options = asRecord(params.options);
  const timeZone = asString(options.timezone) ?? asString(options.toTimezone) ?? ctx.timezone ?? 'UTC';
  const dt = (config: Record<string, unknown>): Mapped => ({
    type: 'data.dateTime',
    config: { timeZone, ...config },
    port: singlePort(),
  });
  if (ctx.node.typeVersion < 2) {
    const action = asString(params.action) ?? 'format';
    const field = asString(params.dataPropertyName) ?? 'data';
    if (action === 'calculate') {
      const sign = asString(params.operation) === 'subtract' ? -1 : 1;
      return shiftCode(ctx, params.value, params.duration, asString(params.timeUnit) ?? 'days', sign, field);
    }
    if (asString(options.fromFormat))
      ctx.partial('a custom input format (fromFormat) is not supported: ISO 8601 is read');
    const format = params.custom === true ? asString(params.toFormat) : asString(params.toFormat);
    return dt({
      operation: 'format',
      value: ctx.value(params.value),
      format: dateFnsFormat(format ?? 'MM/dd/yyyy'),
      outputField: field,
    });
  }
  const operation = asString(params.operation) ?? 'getCurrentDate';
  switch (operation) {
    case 'getCurrentDate':
      return dt({
        operation: 'format',
        format: params.includeTime === false ? 'yyyy-MM-dd' : "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        outputField: asString(params.outputFieldName) ?? 'currentDate',
      });
    case 'addToDate':
    case 'subtractFromDate':
      return shiftCode(
        ctx,
        params.magnitude,
        params.duration,
        asString(params.timeUnit) ?? 'days',
        operation === 'addToDate' ? 1 : -1,
        asString(params.outputFieldName) ?? 'newDate',
      );
    case 'formatDate': {
      const preset = asString(params.format) ?? 'MM/dd/yyyy';
      const format = preset === 'custom' ? (asString(params.customFormat) ?? 'yyyy-MM-dd') : preset;
      return dt({
        operation: 'format',
        value: ctx.value(params.date),
        format: dateFnsFormat(format),
        outputField: asString(params.outputFieldName) ?? 'formattedDate',
      });
    }
    case 'getTimeBetweenDates':
      ctx.partial("the difference is { diffMs, diffDays, before, after } instead of n8n's per-unit object");
      return dt({
        operation: 'compare',
        value: ctx.value(params.endDate),
        other: ctx.value(params.startDate),
        outputField: asString(params.outputFieldName) ?? 'timeDifference',
      });
    default:
      throw new Unmappable(`the Date & Time operation "${operation}" has no equivalent`);
  }
}

export function cryptoNode(ctx: MapContext): Mapped {
  const { params } = ctx;
  const action = asString(params.action) ?? 'hash';
  const field = asString(params.dataPropertyName) ?? 'data';
  const algorithms: Record<string, string> = { MD5: 'md5', SHA256: 'sha256', SHA512: 'sha512' };
  const encoding = asString(params.encoding) === 'base64' ? 'base64' : 'hex';
  if (action === 'generate') {
    const kind = asString(params.encodingType) ?? 'uuid';
    if (kind !== 'uuid')
      throw new Unmappable(`generating random ${kind} text has no equivalent (a UUID can be made)`);
    return { type: 'data.crypto', config: { operation: 'uuid', outputField: field }, port: singlePort() };
  }
  if (action !== 'hash' && action !== 'hmac')
    throw new Unmappable(`the Crypto action "${action}" has no equivalent`);
  const type = asString(params.type) ?? 'MD5';
  const algorithm = algorithms[type];
  if (!algorithm) throw new Unmappable(`${type} is not supported (SHA256, SHA512 and MD5 are)`);
  const config: Record<string, unknown> = {
    operation: action,
    value: ctx.value(params.value ?? ''),
    algorithm,
    encoding,
    outputField: field,
  };
  if (action === 'hmac') {
    if (algorithm === 'md5') throw new Unmappable('HMAC-MD5 is not supported (HMAC uses SHA256 or SHA512)');
    config.credentialId = '00000000-0000-0000-0000-000000000000';
    ctx.todo('the HMAC secret was in the n8n node: store it as a workspace credential and pick it here');
  }
  return { type: 'data.crypto', config, port: singlePort() };
}
