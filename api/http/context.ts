import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { SecretBox } from '../crypto/secret-box.js';
import type { WebhookRegistry } from '../hooks/webhook-registry.js';
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
  /** Seals secrets at rest (AES-256-GCM under the deployment key). */
  secrets: SecretBox;
  /** Which active workflow answers which webhook path. */
  webhooks: WebhookRegistry;
  /** Public base URL, for links shown to users (webhook URLs, invitations). */
  publicUrl: string;
}
