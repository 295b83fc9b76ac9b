import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Json, type TestApi } from './helpers/api.js';

/**
 * A structural check of an OpenAPI 3.1 document, written for these tests (no validator package):
 * the parts a client generator relies on — versions, paths, operations, parameters, responses,
 * references, security — are checked, and every problem found is listed.
 */
function openApiProblems(doc: Json): string[] {
  const problems: string[] = [];
  const isObject = (value: unknown): value is Record<string, Json> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const PATH_ITEM_KEYS = new Set([...METHODS, 'summary', 'description', 'servers', 'parameters', '$ref']);

  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) problems.push(`openapi is ${doc.openapi}, not 3.1.x`);
  if (!isObject(doc.info) || typeof doc.info.title !== 'string' || typeof doc.info.version !== 'string') {
    problems.push('info needs a title and a version');
  }
  if (!isObject(doc.paths)) return [...problems, 'paths is missing'];

  const schemes = isObject(doc.components?.securitySchemes) ? doc.components.securitySchemes : {};
  const operationIds = new Set<string>();

  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) problems.push(`path ${path} does not start with /`);
    if (!isObject(item)) {
      problems.push(`${path} is not a path item`);
      continue;
    }
    for (const key of Object.keys(item)) if (!PATH_ITEM_KEYS.has(key)) problems.push(`${path} has unknown key ${key}`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const method of METHODS.filter((m) => m in item)) {
      const where = `${method.toUpperCase()} ${path}`;
      const operation = item[method];
      if (!isObject(operation)) {
        problems.push(`${where} is not an operation`);
        continue;
      }
      if (operation.operationId !== undefined) {
        if (operationIds.has(operation.operationId)) problems.push(`${where}: duplicate operationId`);
        operationIds.add(operation.operationId);
      }
      const parameters: Json[] = [...(item.parameters ?? []), ...(operation.parameters ?? [])];
      for (const parameter of parameters) {
        if (!isObject(parameter) || typeof parameter.name !== 'string') problems.push(`${where}: a parameter has no name`);
        else if (!['query', 'header', 'path', 'cookie'].includes(parameter.in)) problems.push(`${where}: ${parameter.name} has in=${parameter.in}`);
        else if (!isObject(parameter.schema) && !isObject(parameter.content)) problems.push(`${where}: ${parameter.name} has no schema`);
        if (parameter?.in === 'path' && parameter.required !== true) problems.push(`${where}: path parameter ${parameter.name} must be required`);
      }
      const declared = parameters.filter((p) => p?.in === 'path').map((p) => p.name);
      for (const name of templated) if (!declared.includes(name)) problems.push(`${where}: {${name}} is not declared as a path parameter`);
      for (const name of declared) if (!templated.includes(name)) problems.push(`${where}: path parameter ${name} is not in the path`);
      if (operation.requestBody !== undefined && !isObject(operation.requestBody?.content)) problems.push(`${where}: requestBody has no content`);
      if (!isObject(operation.responses) || Object.keys(operation.responses).length === 0) {
        problems.push(`${where} has no responses`);
      } else {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${where}: response key ${status}`);
          if (!isObject(response) || typeof response.description !== 'string') problems.push(`${where} ${status}: no description`);
          for (const [type, media] of Object.entries(isObject(response?.content) ? response.content : {})) {
            if (!isObject(media) || !isObject(media.schema)) problems.push(`${where} ${status} ${type}: no schema`);
          }
        }
      }
      for (const requirement of operation.security ?? []) {
        for (const name of Object.keys(requirement)) if (!(name in schemes)) problems.push(`${where}: unknown security scheme ${name}`);
      }
    }
  }

  // Every local $ref must point at something that exists.
  const resolve = (ref: string): unknown =>
    ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<Json>((node, part) => (isObject(node) ? node[part] : undefined), doc);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) {
      if (typeof node.$ref === 'string' && node.$ref.startsWith('#/') && resolve(node.$ref) === undefined) {
        problems.push(`dangling $ref ${node.$ref}`);
      }
      Object.values(node).forEach(visit);
    }
  };
  visit(doc);
  return problems;
}

describe('the OpenAPI document', () => {
  let server: TestApi;
  let doc: Json;

  beforeAll(async () => {
    server = await startApi();
    const response = await server.client().get('/api/v1/openapi.json');
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
      Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const mounted = server.api.routes.map((route) => `${route.method.toUpperCase()} ${route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    expect(mounted.length).toBeGreaterThan(15);
    for (const route of mounted) expect(documented, route).toContain(route);
    for (const system of ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /api/v1/openapi.json']) expect(documented).toContain(system);
  });

  it('takes request bodies from the same zod schemas that validate them', async () => {
    const signup = doc.paths['/api/v1/auth/signup'].post;
    const schema = signup.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['email', 'password', 'name']));
    expect(schema.properties.password.minLength).toBe(10);
    // And the server enforces exactly that rule.
    const response = await server.client().post('/api/v1/auth/signup', { email: 'a@example.com', password: 'short', name: 'A' });
    expect(response.body.invalidParams).toContainEqual({ name: 'body.password', reason: expect.stringContaining('10') });
  });

  it('declares both ways to authenticate and marks public routes as such', () => {
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['session', 'apiKey']));
    expect(doc.paths['/api/v1/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/api/v1/me'].get.security).toEqual([{ session: [] }, { apiKey: [] }]);
  });

  it('documents errors as problem+json', () => {
    const invite = doc.paths['/api/v1/workspaces/{workspaceId}/invitations'].post;
    expect(Object.keys(invite.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '402', '403', '404', '409']));
    expect(invite.responses['400'].content['application/problem+json'].schema).toBeDefined();
  });

  it('is the same document on every request', async () => {
    const again = await server.client().get('/api/v1/openapi.json');
    expect(again.body).toEqual(doc);
  });

  it('the checker itself catches a broken document', () => {
    const broken = structuredClone(doc);
    broken.openapi = '3.0.3';
    broken.paths['/x/{id}'] = { get: { responses: {} } };
    broken.paths['/y'] = { post: { responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } } } } } };
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
