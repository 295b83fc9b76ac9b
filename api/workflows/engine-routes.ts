import { WorkflowRepository } from '../db/workflow-repository.js';
import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';
import { nodeTypeRoutes } from '../node-types/routes.js';
import { runRoutes } from '../runs/routes.js';
import { workflowRoutes } from './routes.js';
import { WorkflowService } from './service.js';

/**
 * Workflows, runs and node types. The engine is reached lazily, on the first request, so
 * servers without one (account-only tests) never load it.
 */
export function engineRoutes(ctx: ApiContext): AnyRoute[] {
  const workflows = new WorkflowRepository(ctx.knex);
  let service: WorkflowService | undefined;
  const serviceOf = (): WorkflowService => {
    if (!service) {
      service = new WorkflowService(ctx.knex, workflows, ctx.bundle.registry, ctx.webhooks, () => ctx.bundle.sandbox.serverLimits);
      // Schedules follow activation at once rather than at the scheduler's next sync.
      service.onActivationChange(() => ctx.bundle.scheduler?.refresh());
    }
    return service;
  };
  const lazyService = new Proxy({} as WorkflowService, {
    get: (_target, property) => {
      const value = Reflect.get(serviceOf(), property) as unknown;
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(serviceOf())
        : value;
    },
  });
  const lazyRuntime = () => ctx.bundle.runtime;
  return [
    ...workflowRoutes({
      workflows,
      service: lazyService,
      runtime: lazyRuntime,
      webhooks: ctx.webhooks,
      publicUrl: ctx.publicUrl,
      knex: ctx.knex,
    }),
    ...runRoutes({ knex: ctx.knex, store: () => ctx.bundle.store, runtime: lazyRuntime }),
    ...nodeTypeRoutes(() => ctx.bundle.registry),
  ];
}
