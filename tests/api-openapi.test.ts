import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './helpers/api.js';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const objectAt = (value: unknown): JsonObject => (isObject(value) ? value : {});
const listAt = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The value at a path of keys in parsed JSON, or undefined: `at(doc, 'paths', '/x', 'get')`. */
function at(value: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (isObject(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined),
    value,
  );
}

/**
 * A structural check of an OpenAPI 3.1 document, written for these tests (no validator package):
 * the parts a client generator relies on — versions, paths, operations, parameters, responses,
 * references, security — are checked, and every problem found is listed.
 */
function openApiProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const PATH_ITEM_KEYS = new Set([...METHODS, 'summary', 'description', 'servers', 'parameters', '$ref']);

  const version = at(doc, 'openapi');
  if (typeof version !== 'string' || !/^3\.1\.\d+$/.test(version))
    problems.push(`openapi is ${String(version)}, not 3.1.x`);
  if (typeof at(doc, 'info', 'title') !== 'string' || typeof at(doc, 'info', 'version') !== 'string') {
    problems.push('info needs a title and a version');
  }
  const paths = at(doc, 'paths');
  if (!isObject(paths)) return [...problems, 'paths is missing'];
  const schemes = objectAt(at(doc, 'components', 'securitySchemes'));
  const operationIds = new Set<string>();

  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/')) problems.push(`path ${path} does not start with /`);
    if (!isObject(item)) {
      problems.push(`${path} is not a path item`);
      continue;
    }
    for (const key of Object.keys(item))
      if (!PATH_ITEM_KEYS.has(key)) problems.push(`${path} has unknown key ${key}`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const method of METHODS.filter((m) => m in item)) {
      const where = `${method.toUpperCase()} ${path}`;
      const operation = item[method];
      if (!isObject(operation)) {
        problems.push(`${where} is not an operation`);
        continue;
      }
      if (typeof operation.operationId === 'string') {
        if (operationIds.has(operation.operationId)) problems.push(`${where}: duplicate operationId`);
        operationIds.add(operation.operationId);
      }
      const parameters = [...listAt(item.parameters), ...listAt(operation.parameters)].map(objectAt);
      for (const parameter of parameters) {
        const name = typeof parameter.name === 'string' ? parameter.name : undefined;
        if (name === undefined) problems.push(`${where}: a parameter has no name`);
        else if (!['query', 'header', 'path', 'cookie'].includes(String(parameter.in)))
          problems.push(`${where}: ${name} has in=${String(parameter.in)}`);
        else if (!isObject(parameter.schema) && !isObject(parameter.content))
          problems.push(`${where}: ${name} has no schema`);
        if (parameter.in === 'path' && parameter.required !== true)
          problems.push(`${where}: path parameter ${name} must be required`);
      }
      const declared = parameters.filter((p) => p.in === 'path').map((p) => String(p.name));
      for (const name of templated)
        if (name && !declared.includes(name))
          problems.push(`${where}: {${name}} is not declared as a path parameter`);
      for (const name of declared)
        if (!templated.includes(name)) problems.push(`${where}: path parameter ${name} is not in the path`);
      if (operation.requestBody !== undefined && !isObject(at(operation, 'requestBody', 'content'))) {
        problems.push(`${where}: requestBody has no content`);
      }
      const responses = operation.responses;
      if (!isObject(responses) || Object.keys(responses).length === 0) {
        problems.push(`${where} has no responses`);
      } else {
        for (const [status, response] of Object.entries(responses)) {
          if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status))
            problems.push(`${where}: response key ${status}`);
          if (typeof at(response, 'description') !== 'string')
            problems.push(`${where} ${status}: no description`);
          for (const [type, media] of Object.entries(objectAt(at(response, 'content')))) {
            if (!isObject(at(media, 'schema'))) problems.push(`${where} ${status} ${type}: no schema`);
          }
        }
      }
      for (const requirement of listAt(operation.security)) {
        for (const name of Object.keys(objectAt(requirement)))
          if (!(name in schemes)) problems.push(`${where}: unknown security scheme ${name}`);
      }
    }
  }

  // Every local $ref must point at something that exists.
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) {
      const ref = node.$ref;
      if (typeof ref === 'string' && ref.startsWith('#/')) {
        const target = at(
          doc,
          ...ref
            .slice(2)
            .split('/')
            .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~')),
        );
        if (target === undefined) problems.push(`dangling $ref ${ref}`);
      }
      Object.values(node).forEach(visit);
    }
  };
  visit(doc);
  return problems;
}

describe('the OpenAPI document', () => {
  let server: TestApi;
  let doc: JsonObject;

  beforeAll(async () => {
    server = await startApi();
    const response = await server.client().get<JsonObject>('/api/v1/openapi.json');
    expect(response.status).toBe(200);
    doc = response.body;
  });
  afterAll(() => server?.close());

  it('is OpenAPI 3.1 and passes the structural check', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(openApiProblems(doc)).toEqual([]);
  });

  it('describes every mounted route with its method', () => {
    const documented = new Set(
      Object.entries(objectAt(doc.paths)).flatMap(([path, item]) =>
        Object.keys(objectAt(item)).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const mounted = server.api.routes.map(
      (route) => `${route.method.toUpperCase()} ${route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`,
    );
    expect(mounted.length).toBeGreaterThan(15);
    for (const route of mounted) expect(documented, route).toContain(route);
    for (const system of ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /api/v1/openapi.json'])
      expect(documented).toContain(system);
  });

  it('takes request bodies from the same zod schemas that validate them', async () => {
    const schema = at(
      doc,
      'paths',
      '/api/v1/auth/signup',
      'post',
      'requestBody',
      'content',
      'application/json',
      'schema',
    );
    expect(at(schema, 'required')).toEqual(expect.arrayContaining(['email', 'password', 'name']));
    expect(at(schema, 'properties', 'password', 'minLength')).toBe(10);
    // And the server enforces exactly that rule.
    const response = await server
      .client()
      .post('/api/v1/auth/signup', { email: 'a@example.com', password: 'short', name: 'A' });
    expect(response.body.invalidParams).toContainEqual({
      name: 'body.password',
      reason: expect.stringContaining('10') as string,
    });
  });

  it('declares both ways to authenticate and marks public routes as such', () => {
    expect(Object.keys(objectAt(at(doc, 'components', 'securitySchemes')))).toEqual(
      expect.arrayContaining(['session', 'apiKey']),
    );
    expect(at(doc, 'paths', '/api/v1/auth/login', 'post', 'security')).toEqual([]);
    expect(at(doc, 'paths', '/api/v1/me', 'get', 'security')).toEqual([{ session: [] }, { apiKey: [] }]);
  });

  it('documents errors as problem+json', () => {
    const responses = at(doc, 'paths', '/api/v1/workspaces/{workspaceId}/invitations', 'post', 'responses');
    expect(Object.keys(objectAt(responses))).toEqual(
      expect.arrayContaining(['201', '400', '401', '402', '403', '404', '409']),
    );
    expect(at(responses, '400', 'content', 'application/problem+json', 'schema')).toBeDefined();
  });

  it('is the same document on every request', async () => {
    const again = await server.client().get<JsonObject>('/api/v1/openapi.json');
    expect(again.body).toEqual(doc);
  });

  it('the checker itself catches a broken document', () => {
    const broken = structuredClone(doc);
    broken.openapi = '3.0.3';
    broken.paths = {
      ...objectAt(broken.paths),
      '/x/{id}': { get: { responses: {} } },
      '/y': {
        post: {
          responses: {
            200: {
              description: 'ok',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } },
            },
          },
        },
      },
    };
    expect(openApiProblems(broken)).toEqual(
      expect.arrayContaining([
        'openapi is 3.0.3, not 3.1.x',
        'GET /x/{id} has no responses',
        'GET /x/{id}: {id} is not declared as a path parameter',
        'dangling $ref #/components/schemas/Nope',
      ]),
    );
  });
});
