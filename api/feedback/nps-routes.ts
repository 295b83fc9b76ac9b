import { z } from 'zod';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { NpsSurvey } from './nps.js';
import { personOf } from './route-helpers.js';

const ws = z.object({ workspaceId: z.uuid() });
const display = z.object({ workspaceId: z.uuid(), displayId: z.uuid() });
const tags = ['nps'];

/** The in-app NPS survey, as the canvas asks it: is it due, it opened, the answer or a dismissal. */
export function npsRoutes({ knex }: ApiContext): AnyRoute[] {
  const survey = new NpsSurvey(knex);
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/nps/survey',
      summary: 'Is the NPS survey due for you? (`reason` and `until` say why not)',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: ws,
      responses: { 200: { description: 'Eligibility' }, ...problemResponses(401, 403, 404) },
      handler: async ({ principal }) => ({
        status: 200,
        body: await survey.eligibility(personOf(principal)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/nps/displays',
      summary: 'The survey opened: record the display (starts the waiting period)',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: ws,
      body: z.strictObject({}),
      responses: { 201: { description: 'The display' }, ...problemResponses(401, 403, 404, 409) },
      handler: async ({ principal, workspace }) => ({
        status: 201,
        body: await survey.display(personOf(principal), workspaceScope(workspace).id),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/nps/displays/:displayId/response',
      summary:
        'Answer: a score 0–10 and an optional comment (once per display; repeats return the first answer)',
      description:
        'Emits one `nps.responded` event (with `category`: promoter, passive or detractor) per answer.',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: display,
      body: z.strictObject({
        score: z.number().int().min(0).max(10),
        comment: z.string().max(2000).optional(),
      }),
      responses: {
        201: { description: 'The answer, new' },
        200: { description: 'The answer given before' },
        ...problemResponses(400, 401, 403, 404),
      },
      handler: async ({ principal, params, body }) => {
        const answer = await survey.respond(personOf(principal), params.displayId, body);
        return { status: answer.created ? 201 : 200, body: answer };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/nps/displays/:displayId/dismiss',
      summary: 'Close the survey without answering (counted; repeated dismissals rest it longer)',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: display,
      body: z.strictObject({}),
      responses: { 200: { description: 'Dismissed' }, ...problemResponses(401, 403, 404, 409) },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: await survey.dismiss(personOf(principal), params.displayId),
      }),
    }),
  ];
}
