import { asArray, asNumber, asRecord, asString } from './params.js';
import { singlePort, type MapContext, type Mapped } from './types.js';

/** Webhook, Manual, Schedule, Cron, Execute Workflow Trigger, Error Trigger. */

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function webhook(ctx: MapContext): Mapped {
  const { params } = ctx;
  let method = (asString(params.httpMethod) ?? 'GET').toUpperCase();
  if (!METHODS.has(method)) {
    ctx.partial(`method ${method} is not supported by Revflow webhooks: POST is used`);
    method = 'POST';
  }
  const raw = asString(params.path) ?? '';
  if (/(^|\/):/.test(raw))
    ctx.partial('path parameters (":id") are not supported: read them from the query or body');
  let path = raw
    .replace(/(^|\/):[^/]*/g, '')
    .replace(/[^A-Za-z0-9/_-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 200);
  if (path === '') path = ctx.id.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'webhook';
  if (path !== raw && raw !== '' && !/(^|\/):/.test(raw)) ctx.todo(`the path became "${path}"`);
  const auth = asString(params.authentication) ?? 'none';
  if (auth !== 'none')
    ctx.partial(
      `n8n ${auth} on the webhook: Revflow webhooks are signed instead (turn on "signed" and share the secret)`,
    );
  const options = asRecord(params.options);
  if (options.ipWhitelist) ctx.partial('the IP allow-list has no equivalent');
  const mode = asString(params.responseMode) ?? 'onReceived';
  const config: Record<string, unknown> = { path, method };
  const mapped: Mapped = { type: 'trigger.webhook', config, port: singlePort() };
  if (mode === 'responseNode') config.responseMode = 'respondNode';
  else if (mode === 'lastNode') {
    config.responseMode = 'respondNode';
    const status = asNumber(options.responseCode) ?? 200;
    mapped.respondWithLast = { status: status >= 200 && status <= 599 ? status : 200 };
    const data = asString(params.responseData) ?? 'firstEntryJson';
    if (data !== 'firstEntryJson' && data !== 'allEntries')
      ctx.partial(`responseData "${data}": the answer is the last node's output as JSON`);
  } else {
    config.responseMode = 'immediate';
    ctx.todo('n8n answered "Workflow was started" (200); Revflow answers 202 with the run id');
  }
  return mapped;
}

export function manualTrigger(): Mapped {
  return { type: 'trigger.manual', config: {}, port: singlePort() };
}

export function executeWorkflowTrigger(ctx: MapContext): Mapped {
  ctx.todo("called by a Sub-workflow node: the caller's input is this trigger's output");
  return { type: 'trigger.manual', config: {}, port: singlePort() };
}

export function errorTrigger(ctx: MapContext): Mapped {
  ctx.todo(
    "the output is { run: { id, status, error, ... }, workflow } instead of n8n's { execution, workflow }",
  );
  return { type: 'trigger.error', config: {}, port: singlePort() };
}

const num = (value: unknown, fallback: number): number => {
  const n = asNumber(value);
  return n === undefined ? fallback : Math.trunc(n);
};

/** One Schedule Trigger rule → `{ cron }` or `{ everyMinutes }`; undefined when it has no equivalent. */
function scheduleRule(rule: Record<string, unknown>, ctx: MapContext): Record<string, unknown> | undefined {
  const field = asString(rule.field) ?? 'days';
  const minute = num(rule.triggerAtMinute, 0);
  const hour = num(rule.triggerAtHour, 0);
  switch (field) {
    case 'seconds':
      return { cron: `*/${Math.max(1, num(rule.secondsInterval, 30))} * * * * *` };
    case 'minutes':
      return { everyMinutes: Math.max(1, num(rule.minutesInterval, 5)) };
    case 'hours': {
      const every = Math.max(1, num(rule.hoursInterval, 1));
      return { cron: `${minute} ${every === 1 ? '*' : `*/${every}`} * * *` };
    }
    case 'days': {
      const every = Math.max(1, num(rule.daysInterval, 1));
      return { cron: `${minute} ${hour} ${every === 1 ? '*' : `*/${every}`} * *` };
    }
    case 'weeks': {
      if (num(rule.weeksInterval, 1) > 1) ctx.partial('every N weeks with N > 1: runs every week');
      const days = asArray(rule.triggerAtDay).map((day) => num(day, 0));
      return { cron: `${minute} ${hour} * * ${days.length > 0 ? days.join(',') : '0'}` };
    }
    case 'months': {
      const every = Math.max(1, num(rule.monthsInterval, 1));
      return {
        cron: `${minute} ${hour} ${num(rule.triggerAtDayOfMonth, 1)} ${every === 1 ? '*' : `*/${every}`} *`,
      };
    }
    case 'cronExpression': {
      const expression = asString(rule.expression)?.trim();
      if (!expression || expression.startsWith('=')) {
        ctx.partial('the cron expression is computed by an expression');
        return undefined;
      }
      return { cron: expression };
    }
    default:
      ctx.partial(`the schedule field "${field}" is not known`);
      return undefined;
  }
}

function withZone(config: Record<string, unknown>, timezone: string | undefined): Record<string, unknown> {
  return config.cron !== undefined && timezone ? { ...config, timezone } : config;
}

export function scheduleTrigger(ctx: MapContext): Mapped {
  const rules = asArray(asRecord(ctx.params.rule).interval).map(asRecord);
  const configs = (rules.length > 0 ? rules : [{}])
    .map((rule) => scheduleRule(rule, ctx))
    .filter((config): config is Record<string, unknown> => config !== undefined)
    .map((config) => withZone(config, ctx.timezone));
  return finishSchedule(configs);
}

function finishSchedule(configs: Record<string, unknown>[]): Mapped {
  const [first, ...rest] = configs;
  return {
    type: 'trigger.schedule',
    config: first ?? { cron: '0 0 * * *' },
    port: singlePort(),
    ...(rest.length > 0 ? { extraTriggers: rest } : {}),
  };
}

/** The old Cron node: `triggerTimes.item[{ mode, hour, minute, weekday, dayOfMonth, value, unit, cronExpression }]`. */
export function cron(ctx: MapContext): Mapped {
  const items = asArray(asRecord(ctx.params.triggerTimes).item).map(asRecord);
  const configs: Record<string, unknown>[] = [];
  for (const item of items.length > 0 ? items : [{ mode: 'everyDay' }]) {
    const hour = num(item.hour, 14);
    const minute = num(item.minute, 0);
    const mode = asString(item.mode) ?? 'everyDay';
    let config: Record<string, unknown> | undefined;
    if (mode === 'everyMinute') config = { everyMinutes: 1 };
    else if (mode === 'everyHour') config = { cron: `${minute} * * * *` };
    else if (mode === 'everyDay') config = { cron: `${minute} ${hour} * * *` };
    else if (mode === 'everyWeek') config = { cron: `${minute} ${hour} * * ${num(item.weekday, 1)}` };
    else if (mode === 'everyMonth') config = { cron: `${minute} ${hour} ${num(item.dayOfMonth, 1)} * *` };
    else if (mode === 'everyX') {
      const value = Math.max(1, num(item.value, 2));
      config = asString(item.unit) === 'hours' ? { cron: `0 */${value} * * *` } : { everyMinutes: value };
    } else if (mode === 'custom' && asString(item.cronExpression))
      config = { cron: asString(item.cronExpression) };
    else ctx.partial(`the cron mode "${mode}" is not known`);
    if (config) configs.push(withZone(config, ctx.timezone));
  }
  return finishSchedule(configs);
}
