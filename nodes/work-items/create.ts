import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode, type NodeContext } from '../../engine/node.js';
import { required, type WorkItemInput } from '../services.js';

const common = {
  title: z.string().min(1).max(500),
  description: z.string().max(20_000).default(''),
  priority: z.enum(['low', 'normal', 'high', 'urgent']).default('normal'),
  assignee: z.string().max(320).optional().describe('Email or name of who should handle it'),
  data: z.unknown().optional().describe('Extra JSON kept with it (e.g. the deal or the call)'),
};

async function createItem(
  kind: 'task' | 'ticket',
  ctx: NodeContext<Omit<WorkItemInput, 'data'> & { data?: unknown }>,
): Promise<Json> {
  const { data, ...rest } = ctx.config;
  const { item, created } = await required(ctx.services.workItems, 'tasks and tickets').create(
    kind,
    ctx.run.workspaceId,
    { ...rest, data: (data ?? {}) as Json },
    { key: ctx.idempotencyKey, runId: ctx.run.id },
  );
  if (!created) ctx.log.info(`The ${kind} was already created by an earlier attempt of this step`);
  return item as unknown as Json;
}

export const createTaskNode = defineNode({
  type: 'tasks.create',
  family: 'action',
  title: 'Create task',
  description: "Adds a task to Revflow's task list.",
  docs: 'One task per step: if the step runs again after a crash, the task it already created is returned, not duplicated.',
  icon: 'check-square',
  sideEffects: true,
  // One row per source key (the idempotency key): a re-run returns the first.
  onceByKey: true,
  config: z.object({
    ...common,
    dueAt: z.iso.datetime({ offset: true }).optional().describe('Due date (ISO 8601)'),
  }),
  run: (ctx) => createItem('task', ctx),
});

export const createTicketNode = defineNode({
  type: 'tickets.create',
  family: 'action',
  title: 'Create ticket',
  description: "Opens a ticket in Revflow's ticket list.",
  docs: 'One ticket per step: if the step runs again after a crash, the ticket it already created is returned, not duplicated.',
  icon: 'ticket',
  sideEffects: true,
  // One row per source key (the idempotency key): a re-run returns the first.
  onceByKey: true,
  config: z.object({
    ...common,
    requester: z.string().max(320).optional().describe('Who the ticket is for'),
  }),
  run: (ctx) => createItem('ticket', ctx),
});
