import type { z } from 'zod';
import { problemSchema } from './route.js';

const descriptions: Record<number, string> = {
  400: 'A field of the request is not valid (`invalidParams` names it)',
  401: 'Not logged in and no valid API key',
  402: 'The plan has no seat left',
  403: 'The caller may not do this (role, CSRF, or API key on a user-only route)',
  404: 'No such resource in this workspace, or no access to the workspace',
  409: 'The request conflicts with the current state',
  410: 'The resource existed but can no longer be used (`reason` says why)',
  413: 'The body is too large',
  429: 'Too many requests; see Retry-After',
};

/** Problem+json responses for the OpenAPI document of a route. */
export function problemResponses(
  ...statuses: number[]
): Record<number, { description: string; schema: z.ZodType; contentType: string }> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Error',
        schema: problemSchema,
        contentType: 'application/problem+json',
      },
    ]),
  );
}
