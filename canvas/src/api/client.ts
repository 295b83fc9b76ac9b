import type { ValidationIssue } from './types.js';

/** An RFC 9457 problem as the API sends it. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  invalidParams?: Array<{ name: string; reason: string }>;
  issues?: ValidationIssue[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Same-origin fetch with the session cookie and the CSRF header (api/auth/csrf.ts). */
export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['X-Revflow-CSRF'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError({ title: 'Network error', status: 0, detail: 'The server cannot be reached' });
  }
  const text = await response.text();
  const parsed: unknown =
    text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : null;
  if (!response.ok) {
    const problem = (parsed ?? { title: response.statusText, status: response.status }) as Problem;
    throw new ApiError({ ...problem, status: response.status });
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T = null>(path: string) => request<T>('DELETE', path),
};

/** A readable message for any error. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.problem.invalidParams?.map((p) => `${p.name.replace(/^body\./, '')}: ${p.reason}`);
    return fields && fields.length > 0 ? fields.join('; ') : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export const ws = (workspaceId: string): string => `/api/v1/workspaces/${workspaceId}`;
