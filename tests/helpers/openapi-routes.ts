/**
 * The routes of the live OpenAPI document (GET /api/v1/openapi.json), for suites that must
 * cover every mounted route without a hand-kept list (hardening: tenant isolation, fuzzing).
 */

export interface DocumentedRoute {
  method: string;
  /** OpenAPI path template: `/api/v1/workspaces/{workspaceId}/workflows/{id}`. */
  path: string;
  pathParams: string[];
  /** The JSON request body schema, `$ref`s resolved one level deep; undefined when there is no body. */
  bodySchema?: JsonSchema;
}

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  [key: string]: unknown;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ in: string; name: string }>;
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
      }
    >
  >;
  components?: { schemas?: Record<string, JsonSchema> };
}

export async function fetchDocumentedRoutes(baseUrl: string): Promise<DocumentedRoute[]> {
  const response = await fetch(`${baseUrl}/api/v1/openapi.json`);
  if (response.status !== 200) throw new Error(`openapi.json answered ${response.status}`);
  const document = (await response.json()) as OpenApiDocument;
  const schemas = document.components?.schemas ?? {};
  const resolve = (schema: JsonSchema | undefined): JsonSchema | undefined => {
    if (!schema?.$ref) return schema;
    return schemas[schema.$ref.replace('#/components/schemas/', '')] ?? schema;
  };
  const routes: DocumentedRoute[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
      const bodySchema = resolve(operation.requestBody?.content?.['application/json']?.schema);
      routes.push({ method: method.toUpperCase(), path, pathParams, ...(bodySchema ? { bodySchema } : {}) });
    }
  }
  return routes;
}

/** The property names a body schema names (through oneOf/anyOf branches too). */
export function propertyNames(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  const names = new Set(Object.keys(schema.properties ?? {}));
  for (const branch of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])])
    for (const name of Object.keys(branch.properties ?? {})) names.add(name);
  return [...names].sort();
}

/** Fill a path template: every `{name}` from `values` (throws on one it does not know). */
export function fillPath(path: string, value: (param: string, path: string) => string): string {
  return path.replace(/\{([^}]+)\}/g, (_whole, name: string) => encodeURIComponent(value(name, path)));
}

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

/**
 * One request with a hard timeout (an SSE route that wrongly answered 200 would otherwise hang
 * the suite): the body is read for at most `timeoutMs`, then the connection is dropped.
 */
export async function rawRequest(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  timeoutMs = 5_000,
): Promise<RawResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    let text = '';
    try {
      text = await response.text();
    } catch {
      // Aborted while streaming: keep what the status says.
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
  } finally {
    clearTimeout(timer);
  }
}
