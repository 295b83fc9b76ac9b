import { createContext, useContext, useEffect, useState } from 'react';
import { api, ws } from '../api/client.js';
import type { List, Role } from '../api/types.js';

/** A credential as the API shows it: a name and a type, never its secret data. */
export interface Credential {
  id: string;
  workspaceId: string;
  name: string;
  type: CredentialType;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export type CredentialType = 'apiKey' | 'basicAuth' | 'bearer' | 'header' | 'smtp' | 'openaiCompatible';

export interface CredentialInput {
  key: string;
  label: string;
  kind: 'text' | 'secret' | 'number' | 'boolean';
  required?: boolean;
  placeholder?: string;
  initial?: string | number | boolean;
}

/** What an admin enters for each type (api/credentials/schemas.ts). */
export const CREDENTIAL_TYPES: Record<CredentialType, { title: string; inputs: CredentialInput[] }> = {
  apiKey: {
    title: 'API key',
    inputs: [
      { key: 'key', label: 'Key', kind: 'secret', required: true },
      { key: 'headerName', label: 'Header name', kind: 'text', initial: 'X-API-Key' },
    ],
  },
  bearer: {
    title: 'Bearer token',
    inputs: [{ key: 'token', label: 'Token', kind: 'secret', required: true }],
  },
  basicAuth: {
    title: 'Basic auth',
    inputs: [
      { key: 'username', label: 'Username', kind: 'text', required: true },
      { key: 'password', label: 'Password', kind: 'secret', required: true },
    ],
  },
  header: {
    title: 'Custom header',
    inputs: [
      { key: 'name', label: 'Header name', kind: 'text', required: true, placeholder: 'X-Token' },
      { key: 'value', label: 'Header value', kind: 'secret', required: true },
    ],
  },
  smtp: {
    title: 'SMTP server',
    inputs: [
      { key: 'host', label: 'Host', kind: 'text', required: true, placeholder: 'smtp.example.com' },
      { key: 'port', label: 'Port', kind: 'number', initial: 587 },
      { key: 'secure', label: 'TLS from the start (port 465)', kind: 'boolean', initial: false },
      { key: 'username', label: 'Username', kind: 'text' },
      { key: 'password', label: 'Password', kind: 'secret' },
      { key: 'from', label: 'Default sender', kind: 'text', placeholder: 'Revflow <ops@example.com>' },
    ],
  },
  // The AI layer's endpoint (api/ai): OpenAI, Ollama, vLLM, LM Studio.
  openaiCompatible: {
    title: 'OpenAI-compatible AI',
    inputs: [
      {
        key: 'baseUrl',
        label: 'Base URL',
        kind: 'text',
        required: true,
        placeholder: 'https://api.openai.com/v1',
      },
      { key: 'apiKey', label: 'API key', kind: 'secret' },
      { key: 'model', label: 'Model', kind: 'text', placeholder: 'gpt-4o-mini' },
      {
        key: 'embeddingModel',
        label: 'Embedding model',
        kind: 'text',
        placeholder: 'text-embedding-3-small',
      },
    ],
  },
};
export const ALL_CREDENTIAL_TYPES = Object.keys(CREDENTIAL_TYPES) as CredentialType[];

export const isCredentialType = (value: unknown): value is CredentialType =>
  typeof value === 'string' && value in CREDENTIAL_TYPES;

export const credentialsPath = (workspaceId: string): string => `${ws(workspaceId)}/credentials`;

/** The workspace the credential fields of a form belong to (set by the editor). */
export const CredentialScope = createContext<{ workspaceId: string; role: Role } | null>(null);
export const useCredentialScope = (): { workspaceId: string; role: Role } | null =>
  useContext(CredentialScope);

export const canManageCredentials = (role: Role): boolean => role === 'owner' || role === 'admin';

/**
 * One list per workspace, shared by every credential field and the settings section; a
 * create or delete anywhere refreshes all of them.
 */
const lists = new Map<string, Promise<Credential[]>>();
const listeners = new Set<() => void>();

export function loadCredentials(workspaceId: string): Promise<Credential[]> {
  let list = lists.get(workspaceId);
  if (!list) {
    list = api.get<List<Credential>>(credentialsPath(workspaceId)).then((page) => page.items);
    lists.set(workspaceId, list);
    list.catch(() => lists.delete(workspaceId));
  }
  return list;
}

export function invalidateCredentials(workspaceId: string): void {
  lists.delete(workspaceId);
  for (const listener of listeners) listener();
}

export function useCredentials(
  workspaceId: string,
  /** Viewers may not list credentials: nothing is asked for them. */
  enabled = true,
): {
  items: Credential[] | undefined;
  error: unknown;
} {
  const [state, setState] = useState<{ items: Credential[] | undefined; error: unknown }>({
    items: undefined,
    error: null,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const bump = (): void => setGeneration((g) => g + 1);
    listeners.add(bump);
    return () => {
      listeners.delete(bump);
    };
  }, []);
  useEffect(() => {
    if (!enabled || !workspaceId) return;
    let live = true;
    loadCredentials(workspaceId).then(
      (items) => live && setState({ items, error: null }),
      (error: unknown) => live && setState((s) => ({ items: s.items, error })),
    );
    return () => {
      live = false;
    };
  }, [workspaceId, generation, enabled]);
  return state;
}
