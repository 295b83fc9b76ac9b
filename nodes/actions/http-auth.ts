import type { NodeContext } from '../../engine/node.js';
import { StepFailure } from '../../engine/errors.js';
import { required, secretValues, type CredentialSecret } from '../services.js';

/** Headers a credential adds to a request, the values to redact, and the header names to protect. */
export interface AppliedAuth {
  headers: Record<string, string>;
  secrets: string[];
  sensitiveHeaders: string[];
}

export const noAuth: AppliedAuth = { headers: {}, secrets: [], sensitiveHeaders: [] };

export function authHeaders(secret: CredentialSecret): Record<string, string> {
  switch (secret.type) {
    case 'apiKey':
      return { [secret.headerName]: secret.key };
    case 'basicAuth':
      return {
        Authorization: `Basic ${Buffer.from(`${secret.username}:${secret.password}`).toString('base64')}`,
      };
    case 'bearer':
      return { Authorization: `Bearer ${secret.token}` };
    case 'header':
      return { [secret.name]: secret.value };
    case 'smtp':
      throw new StepFailure(
        'An SMTP credential cannot authenticate an HTTP request',
        'config',
        'config.credentialId',
      );
  }
}

/** Resolve the node's credential (from the run's workspace only) into request headers. */
export async function resolveHttpAuth(
  ctx: NodeContext<unknown>,
  credentialId: string | undefined,
): Promise<AppliedAuth> {
  if (!credentialId) return noAuth;
  let secret: CredentialSecret;
  try {
    secret = (
      await required(ctx.services.credentials, 'credentials').resolve(ctx.run.workspaceId, credentialId)
    ).secret;
  } catch (error) {
    throw new StepFailure((error as Error).message, 'credential', 'config.credentialId');
  }
  const headers = authHeaders(secret);
  return { headers, secrets: secretValues(secret), sensitiveHeaders: Object.keys(headers) };
}
