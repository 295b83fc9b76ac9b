import { isReservedResponseHeader } from '../../../nodes/webhook/respond.js';
import { parseJsonTemplate } from './json-template.js';
import { Unmappable } from './map-data.js';
import { asBool, asNumber, asRecord, asString, locatorValue, pairs } from './params.js';
import { singlePort, type MapContext, type Mapped } from './types.js';

/** HTTP Request, Respond to Webhook, Send Email, Wait, Stop and Error, Execute Workflow. */

/** Placeholder for an id the user picks after the import (a sub-workflow, a credential). */
export const TO_BE_CHOSEN = '00000000-0000-0000-0000-000000000000';

/** n8n's HTTP Request outputs the response body unless "full response" is on; ours always { status, headers, body }. */
export function httpBodySuffix(node: { typeVersion: number; parameters: Record<string, unknown> }): string {
  const options = asRecord(node.parameters.options);
  const full =
    node.typeVersion >= 3
      ? asRecord(asRecord(options.response).response).fullResponse === true
      : options.fullResponse === true;
  return full ? '' : '.body';
}

function jsonValue(ctx: MapContext, text: unknown, what: string): { ok: boolean; value: unknown } {
  const acc = { problems: [] as string[], todos: [] as string[], vars: [] as string[] };
  const parsed = parseJsonTemplate(text, ctx.env, acc);
  acc.problems.forEach((problem) => ctx.partial(problem));
  acc.todos.forEach((todo) => ctx.todo(todo));
  acc.vars.forEach((name) => ctx.usesVar(name));
  if (!parsed.ok) {
    ctx.partial(`${what}: ${parsed.reason}`);
    return { ok: false, value: undefined };
  }
  return { ok: true, value: parsed.value };
}

const toRecord = (
  ctx: MapContext,
  list: Array<{ name: string; value: unknown }>,
  kind: 'string' | 'scalar',
): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const { name, value } of list) {
    const translated = ctx.value(value);
    out[name] =
      kind === 'string' || (typeof translated !== 'number' && typeof translated !== 'boolean')
        ? typeof translated === 'string'
          ? translated
          : JSON.stringify(translated ?? '')
        : translated;
  }
  return out;
};

function objectOrEmpty(
  ctx: MapContext,
  value: { ok: boolean; value: unknown },
  what: string,
): Record<string, unknown> {
  if (!value.ok) return {};
  const record = asRecord(value.value);
  if (
    value.value !== undefined &&
    value.value !== null &&
    Object.keys(record).length === 0 &&
    typeof value.value !== 'object'
  )
    ctx.partial(`${what} is not an object`);
  return record;
}

export function httpRequest(ctx: MapContext): Mapped {
  const { params, node } = ctx;
  const options = asRecord(params.options);
  const v3 = node.typeVersion >= 3;
  const method = (asString(v3 ? params.method : params.requestMethod) ?? 'GET').toUpperCase();
  const config: Record<string, unknown> = { method, url: ctx.value(params.url ?? ''), retries: 0 };
  const url = asString(params.url) ?? '';
  if (!url.startsWith('=') && !/^https?:\/\//i.test(url)) ctx.partial('the URL is not an http(s) URL');

  let query: Record<string, unknown> = {};
  let headers: Record<string, unknown> = {};
  if (v3) {
    if (params.sendQuery === true)
      query =
        asString(params.specifyQuery) === 'json'
          ? objectOrEmpty(ctx, jsonValue(ctx, params.jsonQuery, 'query JSON'), 'the query')
          : toRecord(ctx, pairs(params.queryParameters), 'scalar');
    if (params.sendHeaders === true)
      headers =
        asString(params.specifyHeaders) === 'json'
          ? objectOrEmpty(ctx, jsonValue(ctx, params.jsonHeaders, 'headers JSON'), 'the headers')
          : toRecord(ctx, pairs(params.headerParameters), 'string');
    if (params.sendBody === true) {
      const contentType = asString(params.contentType) ?? 'json';
      const keypair = pairs(params.bodyParameters);
      if (contentType === 'json') {
        if (asString(params.specifyBody) === 'json') {
          const body = jsonValue(ctx, params.jsonBody, 'JSON body');
          config.body = body.ok
            ? { type: 'json', value: body.value }
            : { type: 'raw', value: ctx.value(params.jsonBody ?? ''), contentType: 'application/json' };
        } else {
          const value: Record<string, unknown> = {};
          for (const { name, value: item } of keypair) value[name] = ctx.value(item);
          config.body = { type: 'json', value };
        }
      } else if (contentType === 'form-urlencoded' || contentType === 'multipart-form-data') {
        if (contentType === 'multipart-form-data')
          ctx.partial('multipart bodies are sent as form-urlencoded (no files)');
        config.body = { type: 'form', value: toRecord(ctx, keypair, 'scalar') };
      } else if (contentType === 'raw') {
        config.body = {
          type: 'raw',
          value: String(ctx.value(params.body ?? '')),
          contentType: asString(params.rawContentType) ?? 'text/plain; charset=utf-8',
        };
      } else ctx.partial(`the body type "${contentType}" (binary) is not supported`);
    }
    const redirect = asRecord(asRecord(options.redirect).redirect);
    if (redirect.followRedirects === false) config.followRedirects = false;
    const response = asRecord(asRecord(options.response).response);
    if (response.neverError === true) config.failOnStatus = false;
    const format = asString(response.responseFormat);
    if (format === 'file') ctx.partial('file responses are not supported: the body is read as text');
    if (format === 'text' || format === 'file') config.responseFormat = 'text';
    if (format === 'json') config.responseFormat = 'json';
    if (options.pagination) ctx.partial('pagination is not supported: one request is made');
    if (options.batching) ctx.todo('batching applied to many items; here one request is made per run');
  } else {
    query = toRecord(ctx, pairs(params.queryParametersUi, 'parameter'), 'scalar');
    headers = toRecord(ctx, pairs(params.headerParametersUi, 'parameter'), 'string');
    const bodyPairs = pairs(params.bodyParametersUi, 'parameter');
    if (params.jsonParameters === true && params.bodyParametersJson !== undefined) {
      const body = jsonValue(ctx, params.bodyParametersJson, 'JSON body');
      if (body.ok) config.body = { type: 'json', value: body.value };
    } else if (bodyPairs.length > 0) {
      const value: Record<string, unknown> = {};
      for (const { name, value: item } of bodyPairs) value[name] = ctx.value(item);
      config.body =
        asString(options.bodyContentType) === 'form-urlencoded'
          ? { type: 'form', value: toRecord(ctx, bodyPairs, 'scalar') }
          : { type: 'json', value };
    }
    if (asString(params.responseFormat) === 'string') config.responseFormat = 'text';
    if (asString(params.responseFormat) === 'file') ctx.partial('file responses are not supported');
  }
  if (Object.keys(query).length > 0) config.query = query;
  if (Object.keys(headers).length > 0) config.headers = headers;
  const timeout = asNumber(options.timeout);
  if (timeout !== undefined) config.timeoutMs = Math.min(300_000, Math.max(100, Math.trunc(timeout)));
  if (options.proxy) ctx.partial('proxies are not supported');
  if (options.allowUnauthorizedCerts === true) ctx.partial('invalid TLS certificates are always refused');

  const auth = asString(params.authentication) ?? 'none';
  const credentialTypes = Object.keys(asRecord(node.credentials));
  if (auth !== 'none' || credentialTypes.length > 0) {
    const kind =
      asString(params.nodeCredentialType) ?? asString(params.genericAuthType) ?? credentialTypes[0] ?? auth;
    ctx.todo(`authentication (n8n ${kind}): pick a workspace credential (API key, bearer, basic or header)`);
    if (/oauth/i.test(kind)) ctx.partial(`OAuth (${kind}) is not supported: use a token credential`);
  }
  return { type: 'http.request', config, port: singlePort() };
}

export function respondToWebhook(ctx: MapContext): Mapped {
  const { params } = ctx;
  const options = asRecord(params.options);
  const respondWith = asString(params.respondWith) ?? 'firstIncomingItem';
  const headers: Record<string, string> = {};
  for (const { name, value } of pairs(options.responseHeaders, 'entries')) {
    if (name.toLowerCase() === 'x-content-type-options' && String(value).trim().toLowerCase() === 'nosniff')
      ctx.todo('X-Content-Type-Options: nosniff is left out: Revflow sends it on every webhook answer');
    else if (isReservedResponseHeader(name))
      ctx.partial(`the header ${name} cannot be set on a webhook answer`);
    else {
      const translated = ctx.value(value);
      headers[name] = typeof translated === 'string' ? translated : JSON.stringify(translated ?? '');
    }
  }
  let status = Math.trunc(asNumber(options.responseCode) ?? 200);
  const config: Record<string, unknown> = {};
  const base = ctx.env.inputBase;
  switch (respondWith) {
    case 'firstIncomingItem':
      config.body = `{{ ((v) => (Array.isArray(v) ? v[0] : v))(${base}) }}`;
      break;
    case 'allIncomingItems':
      config.body = `{{ Array.isArray(${base}) ? ${base} : [${base}] }}`;
      break;
    case 'json': {
      const body = jsonValue(ctx, params.responseBody ?? '{}', 'response body');
      config.body = body.ok ? body.value : ctx.value(params.responseBody);
      break;
    }
    case 'text':
      config.body = ctx.value(params.responseBody ?? '');
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type'))
        headers['Content-Type'] = 'text/plain; charset=utf-8';
      break;
    case 'noData':
      config.body = '';
      headers['Content-Type'] = 'text/plain; charset=utf-8';
      break;
    case 'redirect':
      status = asNumber(options.responseCode) === undefined ? 307 : status;
      headers.Location = String(ctx.value(params.redirectURL ?? ''));
      config.body = '';
      headers['Content-Type'] = 'text/plain; charset=utf-8';
      break;
    default:
      throw new Unmappable(`answering with ${respondWith} is not supported (JSON and text are)`);
  }
  const key = asString(options.responseKey);
  if (key && (respondWith === 'firstIncomingItem' || respondWith === 'allIncomingItems'))
    config.body = `{{ ({ ${JSON.stringify(key)}: ${String(config.body).slice(3, -3)} }) }}`;
  if (status < 200 || status > 599) {
    ctx.partial(`status ${status} cannot be answered: 200 is used`);
    status = 200;
  }
  config.status = status;
  if (Object.keys(headers).length > 0) config.headers = headers;
  return { type: 'webhook.respond', config, port: singlePort() };
}

export function emailSend(ctx: MapContext): Mapped {
  const { params, node } = ctx;
  if (asString(params.operation) === 'sendAndWait')
    throw new Unmappable('send-and-wait for a reply is not supported: use an approval');
  const options = asRecord(params.options);
  const text = (value: unknown): unknown => (value === undefined ? undefined : ctx.value(value));
  const config: Record<string, unknown> = {
    to: text(params.toEmail) ?? '',
    subject: text(params.subject) || '(no subject)',
  };
  if (!params.subject) ctx.partial('the email had no subject');
  const from = text(params.fromEmail);
  if (from) config.from = from;
  const cc = text(params.ccEmail ?? options.ccEmail);
  const bcc = text(params.bccEmail ?? options.bccEmail);
  const replyTo = text(options.replyTo);
  if (cc) config.cc = cc;
  if (bcc) config.bcc = bcc;
  if (replyTo) config.replyTo = replyTo;
  const format =
    asString(params.emailFormat) ??
    (node.typeVersion >= 2.1 ? 'html' : node.typeVersion >= 2 ? 'text' : undefined);
  if (format === undefined) {
    if (params.html !== undefined) config.html = text(params.html);
    if (params.text !== undefined || params.html === undefined) config.text = text(params.text) ?? '';
  } else {
    if (format === 'html' || format === 'both') config.html = text(params.html) ?? '';
    if (format === 'text' || format === 'both') config.text = text(params.text) ?? '';
  }
  if (params.attachments || options.attachments) ctx.partial('attachments (binary data) are not sent');
  ctx.todo('mail goes out through SMTP_URL, or pick an SMTP credential');
  return { type: 'email.send', config, port: singlePort() };
}

const UNIT_MS: Record<string, number> = {
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
};

export function waitNode(ctx: MapContext): Mapped {
  const { params, node } = ctx;
  const resume = asString(params.resume) ?? 'timeInterval';
  if (resume === 'timeInterval') {
    // The defaults n8n's Wait node declares: 1 hour in v1, 5 seconds from v1.1.
    const amount = asNumber(params.amount) ?? (node.typeVersion >= 1.1 ? 5 : 1);
    const unit = asString(params.unit) ?? (node.typeVersion >= 1.1 ? 'seconds' : 'hours');
    if (typeof params.amount === 'string' && params.amount.startsWith('='))
      ctx.partial('the wait length is an expression: set a fixed length');
    const ms = Math.min(366 * 86_400_000, Math.max(0, Math.round(amount * (UNIT_MS[unit] ?? 3_600_000))));
    return { type: 'flow.delay', config: { ms }, port: singlePort() };
  }
  if (resume === 'specificTime') {
    let until = asString(params.dateTime) ?? '';
    if (!until.startsWith('=') && until !== '' && !/(Z|[+-]\d{2}:?\d{2})$/.test(until)) {
      ctx.todo(`"${until}" has no time zone: read as UTC`);
      until = `${until}Z`;
    }
    return { type: 'flow.delay', config: { until: ctx.value(until) }, port: singlePort() };
  }
  if (resume === 'webhook') {
    const event = `n8n.resume.${ctx.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    ctx.partial(
      `resumes when the product event "${event}" is posted to the events API, not on n8n's resume URL`,
    );
    const config: Record<string, unknown> = { event };
    if (params.limitWaitTime === true) {
      const amount = asNumber(params.resumeAmount) ?? 1;
      const unit = asString(params.resumeUnit) ?? 'hours';
      if (asString(params.limitType) === 'atSpecifiedTime')
        ctx.partial('a wait limit at a fixed time: a 1-day limit is used');
      config.timeoutMs = Math.max(
        1,
        Math.round(
          asString(params.limitType) === 'atSpecifiedTime'
            ? 86_400_000
            : amount * (UNIT_MS[unit] ?? 3_600_000),
        ),
      );
    }
    return {
      type: 'flow.waitForEvent',
      config,
      port: singlePort(),
      aliases: [{ port: 'timeout', sameAs: 0 }],
    };
  }
  throw new Unmappable(`waiting for ${resume} (a form) is not supported`);
}

export function stopAndError(ctx: MapContext): Mapped {
  const { params } = ctx;
  const message =
    asString(params.errorType) === 'errorObject'
      ? JSON.stringify(params.errorObject ?? {})
      : ctx.value(params.errorMessage ?? 'Stopped');
  const text = typeof message === 'string' ? message.slice(0, 2000) : 'Stopped';
  return { type: 'flow.stop', config: { outcome: 'failed', message: text }, port: () => undefined };
}

export function executeWorkflow(ctx: MapContext): Mapped {
  const { params } = ctx;
  const source = asString(params.source) ?? 'database';
  if (source !== 'database')
    ctx.partial(`the called workflow came from ${source}: import it and pick it here`);
  const id = locatorValue(params.workflowId);
  const cached = asString(asRecord(params.workflowId).cachedResultName);
  ctx.todo(
    `choose the Revflow workflow that replaces n8n workflow ${cached ? `"${cached}"` : typeof id === 'string' || typeof id === 'number' ? String(id) : '?'}`,
  );
  const options = asRecord(params.options);
  const wait = asBool(options.waitForSubWorkflow, true);
  if (asString(params.mode) === 'each') {
    ctx.partial('one sub-run per item: the output is { results, errors, runIds }');
    return { type: 'logic.forEach', config: { workflowId: TO_BE_CHOSEN }, port: singlePort() };
  }
  const config: Record<string, unknown> = { workflowId: TO_BE_CHOSEN, mode: wait ? 'wait' : 'fireAndForget' };
  const inputs = asRecord(asRecord(params.workflowInputs).value);
  if (Object.keys(inputs).length > 0) config.input = ctx.value(inputs);
  if (wait) ctx.todo("the output is { runId, output }: the sub-workflow's result is in output");
  return { type: 'flow.subWorkflow', config, port: singlePort() };
}

/** Loop Over Items: the loop body runs once over the whole value (see mapper.ts for the rewiring). */
export function splitInBatches(ctx: MapContext): Mapped {
  const v3 = ctx.node.typeVersion >= 3;
  ctx.todo(
    'the loop body runs once over the whole value; for one run per item use For each with a sub-workflow',
  );
  const pass = `// n8n ${v3 ? 'Loop Over Items' : 'Split In Batches'} "${ctx.node.name.replace(/[\r\n]/g, ' ')}": the loop body runs once, over the whole value.\nreturn input;`;
  return {
    type: 'code.javascript',
    config: { source: pass },
    port: (index) => (v3 ? (index === 1 ? 'out' : undefined) : index === 0 ? 'out' : undefined),
    ...(v3 ? { loopDone: 0 } : {}),
  };
}
