import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for an OpenAI-compatible endpoint, in tests only: it speaks the documented
 * Chat Completions (`POST /v1/chat/completions`) and Embeddings (`POST /v1/embeddings`) shapes,
 * `usage` included, and the test scripts what it answers, one behaviour per request in order
 * (then the default): JSON, text, a status with headers (429 + Retry-After, 500), a slow answer.
 */

export interface ChatRequestSeen {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model?: string;
    messages?: Array<{ role: string; content: string }>;
    response_format?: {
      type: string;
      json_schema?: { name: string; schema: Record<string, unknown>; strict?: boolean };
    };
    input?: string[];
    temperature?: number;
    max_tokens?: number;
  };
}

export type Behaviour =
  /** An assistant message whose content is this text (JSON in fences, prose, anything). */
  | { content: string; usage?: { prompt_tokens: number; completion_tokens: number }; omitUsage?: boolean }
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { delayMs: number; then: Behaviour }
  | { refusal: string };

export interface OpenAiStandIn {
  baseUrl: string;
  port: number;
  requests: ChatRequestSeen[];
  /** Queue behaviours for the next requests. */
  script(...behaviours: Behaviour[]): void;
  /** What to answer when the script is empty (default: a canned JSON object for structured requests). */
  fallback: (request: ChatRequestSeen) => Behaviour;
  reset(): void;
  close(): Promise<void>;
}

let counter = 0;

function respond(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

/** A JSON value matching a (simple) schema: strings say "stand-in", numbers are 1, booleans true. */
export function sampleFor(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object') return null;
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum)) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, sampleFor(value)]));
    }
    case 'array':
      return [sampleFor(s.items)];
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    default:
      return s.format === 'email' ? 'stand-in@example.com' : s.format === 'date' ? '2027-01-01' : 'stand-in';
  }
}

export async function startOpenAiStandIn(): Promise<OpenAiStandIn> {
  const queue: Behaviour[] = [];
  const requests: ChatRequestSeen[] = [];
  const standIn: Partial<OpenAiStandIn> = {};

  const answer = (res: ServerResponse, seen: ChatRequestSeen, behaviour: Behaviour): void => {
    if ('delayMs' in behaviour) {
      const timer = setTimeout(() => answer(res, seen, behaviour.then), behaviour.delayMs);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    if ('status' in behaviour)
      return respond(
        res,
        behaviour.status,
        behaviour.body ?? { error: { message: `stand-in ${behaviour.status}`, type: 'server_error' } },
        behaviour.headers,
      );
    const model = seen.body.model ?? 'stand-in-model';
    if (seen.path.endsWith('/embeddings')) {
      const input = seen.body.input ?? [];
      return respond(res, 200, {
        object: 'list',
        data: input.map((text, index) => ({
          object: 'embedding',
          index,
          embedding: [text.length, index, 0.5],
        })),
        model,
        usage: { prompt_tokens: input.length * 3, total_tokens: input.length * 3 },
      });
    }
    const message =
      'refusal' in behaviour
        ? { role: 'assistant', content: null, refusal: behaviour.refusal }
        : { role: 'assistant', content: behaviour.content, refusal: null };
    counter += 1;
    respond(res, 200, {
      id: `chatcmpl-standin${counter}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: `${model}-2026-01-01`,
      choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }],
      ...('omitUsage' in behaviour && behaviour.omitUsage
        ? {}
        : {
            usage: {
              prompt_tokens: ('usage' in behaviour && behaviour.usage?.prompt_tokens) || 42,
              completion_tokens: ('usage' in behaviour && behaviour.usage?.completion_tokens) || 17,
              total_tokens:
                (('usage' in behaviour && behaviour.usage?.prompt_tokens) || 42) +
                (('usage' in behaviour && behaviour.usage?.completion_tokens) || 17),
            },
          }),
      system_fingerprint: 'fp_standin',
    });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: ChatRequestSeen['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequestSeen['body'];
      } catch {
        return respond(res, 400, { error: { message: 'We could not parse the JSON body of your request.' } });
      }
      const seen: ChatRequestSeen = { path: req.url ?? '', headers: req.headers, body };
      requests.push(seen);
      if (req.method !== 'POST' || !/\/v1\/(chat\/completions|embeddings)$/.test(seen.path))
        return respond(res, 404, { error: { message: `Unknown request URL: ${req.method} ${seen.path}` } });
      answer(res, seen, queue.shift() ?? standIn.fallback!(seen));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(standIn, {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    script: (...behaviours: Behaviour[]) => queue.push(...behaviours),
    fallback: (seen: ChatRequestSeen): Behaviour => {
      const schema = seen.body.response_format?.json_schema?.schema;
      return { content: schema ? JSON.stringify(sampleFor(schema)) : 'A reply from the stand-in.' };
    },
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return standIn as OpenAiStandIn;
}
