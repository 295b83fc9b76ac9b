import { OpenApiGeneratorV31, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ApiContext } from './http/context.js';
import { defineRoute, type AnyRoute } from './http/route.js';

type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** The OpenAPI 3.1 document of everything `mountRoutes` put in the registry. */
export function buildOpenApiDocument(registry: OpenAPIRegistry): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Revflow API',
      version: '1',
      description: [
        'Workflow automation for revenue teams. JSON under `/api/v1`; errors are `application/problem+json` (RFC 9457) and name the wrong field in `invalidParams`.',
        'Authenticate with the `revflow_session` cookie (browsers) or `Authorization: Bearer rf_live_...` (an API key of one workspace).',
        'CSRF: a cookie-authenticated POST, PUT, PATCH or DELETE must send `X-Revflow-CSRF: 1` (or come from a same-origin page: `Sec-Fetch-Site: same-origin` or a matching `Origin`); API-key requests are exempt.',
      ].join('\n\n'),
    },
    servers: [{ url: '/' }],
  });
}

/** Health, readiness and metrics live outside /api/v1 but belong in the document too. */
export function registerSystemPaths(registry: OpenAPIRegistry): void {
  const status = z.object({ status: z.string() });
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tags: ['system'],
    responses: { 200: { description: 'Alive', content: { 'application/json': { schema: status } } } },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the database answers',
    tags: ['system'],
    responses: {
      200: { description: 'Ready', content: { 'application/json': { schema: status } } },
      503: { description: 'The database does not answer' },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (Bearer REVFLOW_METRICS_TOKEN when set)',
    tags: ['system'],
    responses: {
      200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
      401: { description: 'REVFLOW_METRICS_TOKEN is set and was not sent' },
    },
  });
}

/** `GET /api/v1/openapi.json`, generated once, on first request, when every route is mounted. */
export function openApiRoutes({ openapi }: ApiContext): AnyRoute[] {
  let document: OpenApiDocument | undefined;
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/openapi.json',
      summary: 'This document: OpenAPI 3.1, generated from the schemas that validate requests',
      tags: ['system'],
      auth: 'public',
      responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
      handler: () => ({ status: 200, body: (document ??= buildOpenApiDocument(openapi)) }),
    }),
  ];
}
