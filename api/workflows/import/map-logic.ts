import type { Json } from '../../../engine/json.js';
import { ConditionHelper, conditionsV1, conditionsV2, toLogic, type Condition } from './conditions.js';
import { asVarPath, isExpression, splitN8nTemplate, translateJs, valueAsJs } from './expressions.js';
import { asArray, asBool, asNumber, asRecord, asString } from './params.js';
import type { HelperNode, MapContext, Mapped } from './types.js';

/** If, Filter, Switch, Merge. */

export const HELPER_SUFFIX = 'cond';

function helperFor(ctx: MapContext): ConditionHelper {
  return new ConditionHelper(`${ctx.id}_${HELPER_SUFFIX}`);
}

function helpers(ctx: MapContext, helper: ConditionHelper): HelperNode[] {
  return helper.expressions.length === 0
    ? []
    : [{ suffix: HELPER_SUFFIX, type: 'code.javascript', config: { source: helper.source(ctx.node.name) } }];
}

/** Collects expression problems into the node report. */
function collector(
  ctx: MapContext,
): { problems: string[]; todos: string[]; vars: string[] } & { flush(): void } {
  const acc = {
    problems: [] as string[],
    todos: [] as string[],
    vars: [] as string[],
    flush() {
      for (const problem of new Set(acc.problems)) ctx.partial(problem);
      for (const todo of new Set(acc.todos)) ctx.todo(todo);
      for (const name of acc.vars) ctx.usesVar(name);
    },
  };
  return acc;
}

function conditionsOf(ctx: MapContext, parameters = ctx.params): { list: Condition[]; combinator: string } {
  if (ctx.node.typeVersion < 2) {
    const combine = asString(parameters.combineOperation) ?? asString(parameters.combineConditions) ?? 'all';
    return {
      list: conditionsV1(parameters.conditions),
      combinator: combine === 'any' || combine === 'OR' ? 'or' : 'and',
    };
  }
  return conditionsV2(parameters.conditions, asBool(asRecord(parameters.options).ignoreCase, false));
}

export function ifNode(ctx: MapContext): Mapped {
  const helper = helperFor(ctx);
  const acc = collector(ctx);
  const { list, combinator } = conditionsOf(ctx);
  const condition = toLogic(list, combinator, ctx.env, helper, acc);
  acc.flush();
  return {
    type: 'logic.if',
    config: { condition },
    port: (index) => (index === 0 ? 'true' : index === 1 ? 'false' : undefined),
    helpers: helpers(ctx, helper),
  };
}

/** A Filter keeps or drops its one value: an If whose `false` port leads nowhere. */
export function filterNode(ctx: MapContext): Mapped {
  const mapped = ifNode(ctx);
  return { ...mapped, port: (index) => (index === 0 ? 'true' : undefined) };
}

const PORT = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

/** Port names of Switch outputs: the renamed output's name when usable, else `output<k>`. */
function portNames(keys: Array<string | undefined>): string[] {
  const used = new Set<string>(['default', 'error']);
  return keys.map((key, index) => {
    const slug = (key ?? '')
      .trim()
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .replace(/^[^A-Za-z]+/, '')
      .slice(0, 40);
    const name = slug && PORT.test(slug) && !used.has(slug) ? slug : `output${index}`;
    const unique = used.has(name) ? `output${index}_${used.size}` : name;
    used.add(unique);
    return unique;
  });
}

export function switchNode(ctx: MapContext): Mapped {
  const helper = helperFor(ctx);
  const acc = collector(ctx);
  const { params } = ctx;
  const options = asRecord(params.options);
  const v3 = ctx.node.typeVersion >= 3;
  const mode = asString(params.mode) ?? 'rules';
  /** Per n8n output index, the conditions that lead there (or-ed), in rule order. */
  const outputs: Json[][] = [];
  const keys: Array<string | undefined> = [];
  let fallback: 'none' | 'extra' | number = 'none';

  if (mode === 'expression') {
    const count = Math.max(
      1,
      Math.min(50, Math.trunc(asNumber(v3 ? params.numberOutputs : params.outputsAmount) ?? 4)),
    );
    const value = params.output;
    let path: string | undefined;
    if (isExpression(value)) {
      const pieces = splitN8nTemplate(value.slice(1));
      const only =
        pieces.length === 1 && pieces[0]!.kind === 'code' ? translateJs(pieces[0]!.text, ctx.env) : undefined;
      if (only && only.problems.length === 0) path = asVarPath(only.code);
    }
    for (let k = 0; k < count; k++) {
      keys.push(undefined);
      if (path !== undefined) outputs.push([{ '==': [{ var: path }, k] }]);
      else outputs.push([helper.add(`Number(${valueAsJs(value, ctx.env, acc)}) === ${k}`)]);
    }
  } else if (v3) {
    const rules = asArray(asRecord(params.rules).values).map(asRecord);
    for (const rule of rules) {
      const { list, combinator } = conditionsV2(rule.conditions, asBool(options.ignoreCase, false));
      outputs.push([toLogic(list, combinator, ctx.env, helper, acc)]);
      keys.push(rule.renameOutput === true ? asString(rule.outputKey) : undefined);
    }
    const fb = options.fallbackOutput;
    fallback = fb === 'extra' ? 'extra' : typeof fb === 'number' && fb >= 0 ? fb : 'none';
  } else {
    const type = asString(params.dataType) ?? 'number';
    const rules = asArray(asRecord(params.rules).rules).map(asRecord);
    for (const rule of rules) {
      const index = Math.max(0, Math.min(49, Math.trunc(asNumber(rule.output) ?? 0)));
      const [condition] = conditionsV1({
        [type]: [{ value1: params.value1, operation: rule.operation, value2: rule.value2 }],
      });
      while (outputs.length <= index) {
        outputs.push([]);
        keys.push(undefined);
      }
      outputs[index]!.push(toLogic([condition!], 'and', ctx.env, helper, acc));
    }
    const fb = asNumber(params.fallbackOutput) ?? -1;
    fallback = fb >= 0 ? Math.trunc(fb) : 'none';
  }
  acc.flush();

  const names = portNames(keys);
  const cases = outputs.map((conditions, index) => ({
    port: names[index]!,
    condition:
      conditions.length === 0 ? false : conditions.length === 1 ? conditions[0]! : { or: conditions },
  }));
  if (cases.length === 0) {
    ctx.partial('the Switch has no rules');
    cases.push({ port: 'output0', condition: false });
  }
  const mapped: Mapped = {
    type: 'logic.switch',
    config: { cases, mode: asBool(options.allMatchingOutputs, false) ? 'all' : 'first' },
    port: (index) => {
      if (index < cases.length) return cases[index]!.port;
      if (index === cases.length && fallback === 'extra') return 'default';
      return undefined;
    },
    helpers: helpers(ctx, helper),
  };
  if (typeof fallback === 'number' && fallback < cases.length)
    mapped.aliases = [{ port: 'default', sameAs: fallback }];
  return mapped;
}

const passThrough = (ctx: MapContext, firstInput: number, empty = false): Mapped => ({
  type: 'code.javascript',
  config: {
    source: empty
      ? `// n8n Merge "${ctx.node.name}": waits for its inputs, outputs an empty item.\nreturn {};`
      : `// n8n Merge "${ctx.node.name}": waits for its inputs, passes on input ${firstInput + 1}.\nreturn input;`,
  },
  port: (index) => (index === 0 ? 'out' : undefined),
  firstInput,
});

export function mergeNode(ctx: MapContext): Mapped {
  const { params } = ctx;
  const version = ctx.node.typeVersion;
  const mode = asString(params.mode) ?? 'append';
  const merge = (combine: 'array' | 'object'): Mapped => ({
    type: 'logic.merge',
    config: { mode: 'all', combine },
    port: (index) => (index === 0 ? 'out' : undefined),
  });
  if (mode === 'append') return merge('array');
  if (mode === 'chooseBranch' || mode === 'passThrough') {
    if (asString(params.output) === 'empty') return passThrough(ctx, 0, true);
    if (version >= 3)
      return passThrough(ctx, Math.max(0, Math.trunc(asNumber(params.useDataOfInput) ?? 1) - 1));
    return passThrough(ctx, asString(params.output) === 'input2' ? 1 : 0);
  }
  if (mode === 'wait') return passThrough(ctx, 0, true);
  if (mode === 'combineBySql') {
    ctx.partial("SQL queries over inputs are not supported: the inputs' fields are merged");
    return merge('object');
  }
  const by =
    mode === 'combine'
      ? (asString(version >= 3 ? params.combineBy : params.combinationMode) ??
        (version >= 3 ? 'combineByFields' : 'mergeByFields'))
      : mode;
  if (['combineByPosition', 'mergeByPosition', 'mergeByIndex', 'combineAll', 'multiplex'].includes(by))
    return merge('object');
  ctx.partial(
    `matching items by fields ("${by}") is not kept: the inputs' fields are merged into one object`,
  );
  return merge('object');
}
