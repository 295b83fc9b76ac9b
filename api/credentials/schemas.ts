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
  openaiCompatible: z.object({
    baseUrl: z
      .string()
      .trim()
      .max(2000)
      .refine(
        (value) => /^https?:\/\/[^/]/i.test(value) && URL.canParse(value),
        'an http(s):// URL such as https://api.openai.com/v1',
      )
      .describe('The API base, before /chat/completions'),
    apiKey: z.string().max(10_000).optional().describe('Not needed by a local Ollama or LM Studio'),
    model: z.string().trim().min(1).max(200).optional(),
    embeddingModel: z.string().trim().min(1).max(200).optional(),
  }),
} as const;

export const credentialTypeSchema = z.enum([
  'apiKey',
  'basicAuth',
  'bearer',
  'smtp',
  'header',
  'openaiCompatible',
]);
export type CredentialTypeName = z.infer<typeof credentialTypeSchema>;

const name = z.string().trim().min(1).max(200);

/** `api.example.com`, `api.example.com:8443`, `*.example.com`, `10.0.0.5`, `[2001:db8::1]:443`. */
const hostPattern = z
  .string()
  .trim()
  .toLowerCase()
  .max(260)
  .regex(
    /^(?:(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/,
    'a host name, host:port or *.domain (e.g. "api.hubspot.com")',
  );

/**
 * The hosts the credential may be sent to (issue 11). Without it the credential is not bound:
 * it may then only go to hosts on the workspace's outbound allow-list, which admins keep.
 */
export const allowedHostsSchema = z
  .array(hostPattern)
  .min(1, 'name at least one host, or leave allowedHosts out')
  .max(50)
  .describe('Hosts the secret may be sent to: host, host:port or *.domain');

export const createCredentialSchema = z
  .discriminatedUnion('type', [
    z.object({
      name,
      type: z.literal('apiKey'),
      data: credentialDataSchemas.apiKey,
      allowedHosts: allowedHostsSchema.optional(),
    }),
    z.object({
      name,
      type: z.literal('basicAuth'),
      data: credentialDataSchemas.basicAuth,
      allowedHosts: allowedHostsSchema.optional(),
    }),
    z.object({
      name,
      type: z.literal('bearer'),
      data: credentialDataSchemas.bearer,
      allowedHosts: allowedHostsSchema.optional(),
    }),
    z.object({
      name,
      type: z.literal('header'),
      data: credentialDataSchemas.header,
      allowedHosts: allowedHostsSchema.optional(),
    }),
    z.object({
      name,
      type: z.literal('smtp'),
      data: credentialDataSchemas.smtp,
      allowedHosts: allowedHostsSchema.optional(),
    }),
    z.object({
      name,
      type: z.literal('openaiCompatible'),
      data: credentialDataSchemas.openaiCompatible,
      allowedHosts: allowedHostsSchema.optional(),
    }),
  ])
  .meta({ id: 'NewCredential' });

/** A change: a new name, and/or new secret data (checked against the credential's type). */
export const updateCredentialSchema = z
  .object({
    name: name.optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    allowedHosts: allowedHostsSchema
      .nullable()
      .optional()
      .describe('null: unbind (workspace allow-list only)'),
  })
  .meta({ id: 'CredentialChange' });

/** What the API shows of a credential: never any of its data. */
export const credentialSchema = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    name: z.string(),
    type: credentialTypeSchema,
    allowedHosts: z
      .array(z.string())
      .optional()
      .describe('Where the secret may be sent; absent: not bound, only the workspace allow-list'),
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
    case 'openaiCompatible':
      return { type, ...credentialDataSchemas.openaiCompatible.parse(data) };
  }
}
