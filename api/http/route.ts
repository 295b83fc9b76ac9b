import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { assertCleanInput } from './input-guard.js';
import { forbidden, notFound, unauthorized, validationProblem } from './problem.js';

export const roles = ['viewer', 'member', 'admin', 'owner'] as const;
export type Role = (typeof roles)[number];

/** `true` when `role` is at least `required` (viewer < member < admin < owner). */
export function roleAtLeast(role: Role, required: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(required);
}

/** Who is calling: a logged-in user (session cookie) or a workspace API key (Bearer). */
export interface Principal {
  via: 'session' | 'apiKey';
  userId: string | null;
  /** Set for API keys: the one workspace the key belongs to, and its role there. */
  apiKey?: { id: string; workspaceId: string; role: Role };
  sessionId?: string;
}

/** What routes need from the accounts layer; `api/auth` implements it. */
export interface AuthResolver {
  authenticate(req: Request): Promise<Principal | null>;
  /** The principal's role in a workspace, or null when it is not a member (→ 404, nothing leaked). */
  roleIn(principal: Principal, workspaceId: string): Promise<Role | null>;
  /** An instance admin (REVFLOW_ADMIN_EMAILS): a logged-in person, never an API key. */
  isInstanceAdmin(principal: Principal): Promise<boolean>;
}

/** `instanceAdmin`: routes that run the instance (release notes, NPS results, cross-workspace analytics). */
export type RouteAuth = 'public' | 'user' | 'instanceAdmin' | { workspaceRole: Role };

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteContext<Params, Query, Body> {
  req: Request;
  res: Response;
  params: Params;
  query: Query;
  body: Body;
  principal: Principal | null;
  /** For workspace routes: the workspace of the path and the caller's role in it. */
  workspace: { id: string; role: Role } | null;
}

/** A handler returns the JSON body (200), `{ status, body }`, or nothing when it wrote the response itself. */
export type RouteResult = { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

export interface RouteDefinition<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** Express path, e.g. `/api/v1/workspaces/:workspaceId/workflows/:id`. */
  path: string;
  summary: string;
  /** Longer prose for the OpenAPI document (rules, side effects). */
  description?: string;
  tags: string[];
  auth: RouteAuth;
  params?: P;
  query?: Q;
  body?: B;
  /** Express middleware that runs before auth and validation (rate limits). */
  middleware?: RequestHandler[];
  /** Response schemas by status, for the OpenAPI document. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler(ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<RouteResult> | RouteResult;
}

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  route: RouteDefinition<P, Q, B>,
): RouteDefinition<P, Q, B> {
  return route;
}

export type AnyRoute = RouteDefinition<z.ZodType, z.ZodType, z.ZodType>;

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    invalidParams: z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

function parsePart<T extends z.ZodType>(schema: T | undefined, value: unknown, location: string): z.infer<T> {
  if (!schema) return value as z.infer<T>;
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw validationProblem(location, parsed.error);
  return parsed.data;
}

const workspaceIdSchema = z.string().uuid();

async function resolveAccess(
  route: AnyRoute,
  req: Request,
  auth: AuthResolver,
): Promise<{ principal: Principal | null; workspace: { id: string; role: Role } | null }> {
  if (route.auth === 'public') return { principal: await auth.authenticate(req), workspace: null };
  const principal = await auth.authenticate(req);
  if (!principal) throw unauthorized();
  if (route.auth === 'user') return { principal, workspace: null };
  if (route.auth === 'instanceAdmin') {
    if (!(await auth.isInstanceAdmin(principal))) throw forbidden('This needs an instance admin (REVFLOW_ADMIN_EMAILS)');
    return { principal, workspace: null };
  }
  const workspaceId = req.params.workspaceId;
  // A malformed or foreign workspace id is "not found": nothing about other workspaces leaks.
  if (typeof workspaceId !== 'string' || !workspaceIdSchema.safeParse(workspaceId).success)
    throw notFound('The workspace');
  const role = await auth.roleIn(principal, workspaceId);
  if (!role) throw notFound('The workspace');
  if (!roleAtLeast(role, route.auth.workspaceRole)) {
    throw forbidden(`This needs the ${route.auth.workspaceRole} role or higher; you are ${role}`);
  }
  return { principal, workspace: { id: workspaceId, role } };
}

function toHandler(route: AnyRoute, auth: AuthResolver): RequestHandler {
  return async (req, res, next) => {
    try {
      const access = await resolveAccess(route, req, auth);
      // Bodies and queries were guarded after parsing (app.ts); params exist only here.
      assertCleanInput(req.params, 'params');
      const params = parsePart(route.params, req.params, 'params');
      const query = parsePart(route.query, req.query, 'query');
      const body = parsePart(route.body, req.body, 'body');
      const result = await route.handler({ req, res, params, query, body, ...access });
      if (res.headersSent || result === undefined) return;
      if (result.headers) res.set(result.headers);
      if (result.body === undefined) res.status(result.status).end();
      else res.status(result.status).json(result.body);
    } catch (error) {
      next(error);
    }
  };
}

/** Mount routes on a router and describe them in the OpenAPI registry, from the same schemas. */
export function mountRoutes(
  router: Router,
  routes: readonly AnyRoute[],
  auth: AuthResolver,
  registry: OpenAPIRegistry,
): void {
  for (const route of routes) {
    router[route.method](route.path, ...(route.middleware ?? []), toHandler(route, auth));
    registry.registerPath({
      method: route.method,
      path: route.path.replace(/:([A-Za-z_]+)/g, '{$1}'),
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      security: route.auth === 'public' ? [] : [{ session: [] }, { apiKey: [] }],
      request: {
        ...(route.params ? { params: route.params as z.ZodObject } : {}),
        ...(route.query ? { query: route.query as z.ZodObject } : {}),
        ...(route.body ? { body: { content: { 'application/json': { schema: route.body } } } } : {}),
      },
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema
              ? { content: { [response.contentType ?? 'application/json']: { schema: response.schema } } }
              : {}),
          },
        ]),
      ),
    });
  }
}

export function createOpenApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'revflow_session',
  });
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer' });
  return registry;
}
