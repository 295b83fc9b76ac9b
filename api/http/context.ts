import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { RuntimeBundle } from '../runtime-factory.js';
import type { AuthResolver } from './route.js';
import type { HttpSettings } from './settings.js';

/** What every route factory (`authRoutes(ctx)`, `workflowRoutes(ctx)`, ...) is given. */
export interface ApiContext {
  knex: Knex;
  /** The engine; routes that start or inspect runs use it. */
  bundle: RuntimeBundle;
  logger: Logger;
  settings: HttpSettings;
  auth: AuthResolver;
  /** Where mountRoutes describes every route; the OpenAPI document is generated from it. */
  openapi: OpenAPIRegistry;
}
