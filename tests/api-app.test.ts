import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRoute } from '../api/http/route.js';
import { metrics } from '../api/metrics.js';
import { allRoutes } from '../api/routes.js';
import { startApi, type TestApi } from './helpers/api.js';

const problemType = /^application\/problem\+json/;

describe('the HTTP server', () => {
  let server: TestApi;

  beforeAll(async () => {
    server = await startApi({
      settings: { corsOrigins: ['https://canvas.example.com'], bodyLimit: '2kb' },
      // One extra route that fails the way a bug would, to see what leaves the server.
      routes: (ctx) => [
        ...allRoutes(ctx),
        defineRoute({
          method: 'get',
          path: '/api/v1/test/boom',
          summary: 'fails',
          tags: ['test'],
          auth: 'public',
          query: z.object({}),
          responses: { 200: { description: 'never' } },
          handler: () => {
            throw new Error('secret internals at /srv/revflow/db.ts:42');
          },
        }),
      ],
    });
  });
  afterAll(() => server?.close());

  describe('health', () => {
    it('answers /healthz and /readyz when the database answers', async () => {
      const client = server.client();
      expect((await client.get('/healthz')).body).toEqual({ status: 'ok' });
      expect((await client.get('/readyz')).body).toEqual({ status: 'ready' });
    });
  });

  describe('security headers', () => {
    it('sends helmet’s headers and hides the framework', async () => {
      const response = await server.client().get('/api/v1/me');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(response.headers.get('strict-transport-security')).toContain('max-age=');
      expect(response.headers.get('x-powered-by')).toBeNull();
    });
  });

  describe('request ids', () => {
    it('echoes a sane X-Request-Id and makes one when there is none or it is not sane', async () => {
      const client = server.client();
      expect(
        (await client.get('/healthz', { headers: { 'x-request-id': 'trace-123.abc' } })).headers.get(
          'x-request-id',
        ),
      ).toBe('trace-123.abc');
      expect((await client.get('/healthz')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(
        (await client.get('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } })).headers.get(
          'x-request-id',
        ),
      ).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('CORS', () => {
    it('allows the configured origin, with credentials', async () => {
      const response = await server
        .client()
        .get('/healthz', { headers: { origin: 'https://canvas.example.com' } });
      expect(response.headers.get('access-control-allow-origin')).toBe('https://canvas.example.com');
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    });

    it('answers a preflight from the configured origin with the headers the API needs', async () => {
      const response = await server.client().request('OPTIONS', '/api/v1/workspaces', undefined, {
        headers: { origin: 'https://canvas.example.com', 'access-control-request-method': 'POST' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-headers')).toContain('X-Revflow-CSRF');
      expect(response.headers.get('access-control-allow-methods')).toContain('PATCH');
    });

    it('gives any other origin nothing, so browsers refuse', async () => {
      const simple = await server.client().get('/healthz', { headers: { origin: 'https://evil.example' } });
      expect(simple.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await server.client().request('OPTIONS', '/api/v1/workspaces', undefined, {
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('errors', () => {
    it('answers 413 problem+json for a body over the limit', async () => {
      const response = await server
        .client()
        .post('/api/v1/auth/login', { email: 'a@example.com', password: 'x'.repeat(5000) });
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toMatch(problemType);
      expect(response.body).toMatchObject({ status: 413, title: 'Payload too large' });
    });

    it('answers 400 problem+json for a body that is not JSON', async () => {
      const response = await server.client().post('/api/v1/auth/login', undefined, { rawBody: '{"email": ' });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(problemType);
      expect(response.body.detail).toBe('The body is not valid JSON');
    });

    it('answers 404 problem+json for an unknown API route', async () => {
      const response = await server.client().get('/api/v1/nothing-here');
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(problemType);
      expect(response.body).toMatchObject({ status: 404, detail: 'There is no GET /api/v1/nothing-here' });
    });

    it('turns an unexpected error into a 500 that tells nothing about the inside', async () => {
      const response = await server.client().get('/api/v1/test/boom');
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toMatch(problemType);
      expect(response.body).toEqual({
        type: 'about:blank',
        title: 'Internal server error',
        status: 500,
        detail: 'Something went wrong on our side',
        instance: '/api/v1/test/boom',
      });
      expect(response.text).not.toMatch(/secret internals|\.ts:|at /);
    });
  });

  describe('metrics', () => {
    it('serves Prometheus metrics: process defaults and request durations by route pattern', async () => {
      const client = server.client();
      await client.get(`/api/v1/workspaces/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`);
      const response = await client.get('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      expect(response.text).toContain('process_cpu_user_seconds_total');
      expect(response.text).toMatch(
        /revflow_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/workspaces\/:workspaceId",status="401"\} \d+/,
      );
      // Ids never become label values.
      expect(response.text).not.toContain('00000000-0000-7000');
    });

    it('lets other code register a counter once and find it again', async () => {
      const counter = metrics.counter('revflow_test_things_total', 'Things counted by a test', ['kind']);
      expect(metrics.counter('revflow_test_things_total', 'Things counted by a test', ['kind'])).toBe(
        counter,
      );
      counter.inc({ kind: 'example' }, 2);
      metrics.gauge('revflow_test_level', 'A level set by a test').set(7);
      const text = (await server.client().get('/metrics')).text;
      expect(text).toContain('revflow_test_things_total{kind="example"} 2');
      expect(text).toContain('revflow_test_level 7');
    });

    it('asks for the token when REVFLOW_METRICS_TOKEN is set', async () => {
      const guarded = await startApi({ settings: { metricsToken: 'metrics-token-0123456789' } });
      try {
        expect((await guarded.client().get('/metrics')).status).toBe(401);
        const ok = await guarded
          .client()
          .get('/metrics', { headers: { authorization: 'Bearer metrics-token-0123456789' } });
        expect(ok.status).toBe(200);
      } finally {
        await guarded.close();
      }
    });
  });
});
