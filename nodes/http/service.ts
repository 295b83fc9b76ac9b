/** Outbound HTTP as nodes reach it: through the SSRF guard with the workspace's allow-list (`api/net`). */

export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** The response body is cut off (an error) beyond this many bytes. */
  maxResponseBytes: number;
  /** Follow 3xx redirects (each target is checked again by the guard); at most 5. */
  followRedirects: boolean;
  /** Header names that carry credentials: dropped when a redirect leaves the origin. */
  sensitiveHeaders?: string[];
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
  redirects: number;
}

/** Errors of the outbound client carry one of these codes (`error.code`). */
export type OutboundErrorCode =
  'ssrf_blocked' | 'timeout' | 'response_too_large' | 'too_many_redirects' | 'network' | 'invalid_url';

export interface HttpService {
  /** One HTTP exchange for a workspace, through the SSRF guard with its allow-list. */
  request(workspaceId: string, request: OutboundRequest): Promise<OutboundResponse>;
}

/** The error code an outbound failure carries, if any. */
export function outboundCode(error: unknown): OutboundErrorCode | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    const code = error.code as OutboundErrorCode;
    return [
      'ssrf_blocked',
      'timeout',
      'response_too_large',
      'too_many_redirects',
      'network',
      'invalid_url',
    ].includes(code)
      ? code
      : undefined;
  }
  return undefined;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    http?: HttpService;
  }
}
