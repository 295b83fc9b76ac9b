import { z } from 'zod';

/** Credentials as nodes reach them (DESIGN §4); `api/credentials` implements the service. */

/** A credential's decrypted data, by type. Only nodes see this; the API never returns it. */
export type CredentialSecret =
  | { type: 'apiKey'; key: string; headerName: string }
  | { type: 'basicAuth'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | { type: 'header'; name: string; value: string }
  | {
      type: 'smtp';
      host: string;
      port: number;
      secure: boolean;
      username?: string;
      password?: string;
      /** Default sender. */
      from?: string;
    }
  | {
      /** An OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio) for the AI layer. */
      type: 'openaiCompatible';
      baseUrl: string;
      apiKey?: string;
      model?: string;
      embeddingModel?: string;
    };

export type CredentialType = CredentialSecret['type'];

export interface ResolvedCredential {
  id: string;
  name: string;
  secret: CredentialSecret;
}

export interface CredentialsService {
  /**
   * The decrypted credential, only when it belongs to `workspaceId` (the run's workspace);
   * otherwise throws a not-found error: a run never reaches another workspace's credentials.
   */
  resolve(workspaceId: string, credentialId: string): Promise<ResolvedCredential>;
}

/**
 * A config field holding a credential id: the canvas shows a dropdown of the workspace's
 * credentials of these types (JSON Schema `format: "credential"`).
 */
export function credentialRef(types: readonly CredentialType[], description: string) {
  return z
    .string()
    .min(1)
    .max(100)
    .describe(description)
    .meta({ format: 'credential', credentialTypes: [...types] });
}

declare module '../../engine/node.js' {
  interface NodeServices {
    credentials?: CredentialsService;
  }
}
