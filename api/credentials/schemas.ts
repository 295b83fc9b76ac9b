import { z } from 'zod';
import type { CredentialSecret } from '../../nodes/services.js';

/** The secret data of each credential type, as an admin enters it. Never sent back. */
const headerName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid header name');
const secretText = z.string().min(1).max(10_000);

export const credentialDataSchemas = {
  apiKey: z.object({ key: secretText, headerName: headerName.default('X-API-Key') }),
  basicAuth: z.object({ username: z.string().min(1).max(500), password: secretText }),
  bearer: z.object({ token: secretText }),
  header: z.object({ name: headerName, value: secretText }),
  smtp: z.object({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65_535).default(587),
    secure: z
      .boolean()
      .default(false)
      .describe('TLS from the start (port 465); otherwise STARTTLS when offered'),
    username: z.string().max(500).optional(),
    password: z.string().max(10_000).optional(),
    from: z.string().max(500).optional(),
  }),
} as const;

export const credentialTypeSchema = z.enum(['apiKey', 'basicAuth', 'bearer', 'smtp', 'header']);
export type CredentialTypeName = z.infer<typeof credentialTypeSchema>;

const name = z.string().trim().min(1).max(200);

export const createCredentialSchema = z
  .discriminatedUnion('type', [
    z.object({ name, type: z.literal('apiKey'), data: credentialDataSchemas.apiKey }),
    z.object({ name, type: z.literal('basicAuth'), data: credentialDataSchemas.basicAuth }),
    z.object({ name, type: z.literal('bearer'), data: credentialDataSchemas.bearer }),
    z.object({ name, type: z.literal('header'), data: credentialDataSchemas.header }),
    z.object({ name, type: z.literal('smtp'), data: credentialDataSchemas.smtp }),
  ])
  .meta({ id: 'NewCredential' });

/** A change: a new name, and/or new secret data (checked against the credential's type). */
export const updateCredentialSchema = z
  .object({ name: name.optional(), data: z.record(z.string(), z.unknown()).optional() })
  .meta({ id: 'CredentialChange' });

/** What the API shows of a credential: never any of its data. */
export const credentialSchema = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    name: z.string(),
    type: credentialTypeSchema,
    createdBy: z.uuid().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Credential' });

/** Parse stored (decrypted) data into the typed secret nodes get. */
export function toSecret(type: CredentialTypeName, data: unknown): CredentialSecret {
  switch (type) {
    case 'apiKey':
      return { type, ...credentialDataSchemas.apiKey.parse(data) };
    case 'basicAuth':
      return { type, ...credentialDataSchemas.basicAuth.parse(data) };
    case 'bearer':
      return { type, ...credentialDataSchemas.bearer.parse(data) };
    case 'header':
      return { type, ...credentialDataSchemas.header.parse(data) };
    case 'smtp':
      return { type, ...credentialDataSchemas.smtp.parse(data) };
  }
}
