import { DomainError, invalidInput } from '../../engine/errors.js';
import type { Segment } from './parse.js';

/**
 * What an upload carries: a small multipart/form-data reader (the fields and one file; no
 * dependency for it) and the speech provider that turns audio into segments — an
 * OpenAI-compatible `/v1/audio/transcriptions` endpoint named by the deployment
 * (REVFLOW_SPEECH_BASE_URL, REVFLOW_SPEECH_API_KEY, REVFLOW_SPEECH_MODEL).
 */

export interface UploadPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export function parseMultipart(body: Buffer, contentType: string): UploadPart[] {
  const boundaryMatch = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = boundaryMatch?.[1] ?? boundaryMatch?.[2];
  if (!boundary) throw invalidInput('body', 'multipart/form-data without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: UploadPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw invalidInput('body', 'the multipart body holds no part');
  for (;;) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) throw invalidInput('body', 'the multipart body ends in the middle of a part');
    // A part: CRLF, headers, CRLF CRLF, data, CRLF (before the next delimiter).
    const part = body.subarray(start + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw invalidInput('body', 'a multipart part has no headers');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw invalidInput('body', 'a multipart part has no name');
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim();
    parts.push({
      name,
      ...(filename !== undefined ? { filename } : {}),
      ...(type ? { contentType: type } : {}),
      data: part.subarray(headerEnd + 4),
    });
    if (parts.length > 20) throw invalidInput('body', 'too many multipart parts (at most 20)');
    at = next;
  }
  return parts;
}

/** Decode an uploaded file as UTF-8 text, refusing binary data with a clear message. */
export function textOfFile(data: Buffer, field: string): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(data);
  const replaced = (text.match(/\uFFFD/g) ?? []).length;
  if (replaced > 0 && replaced > text.length / 100)
    throw invalidInput(
      field,
      'This file is not UTF-8 text: upload a transcript (VTT, SRT, text, JSON), or audio with a speech provider',
    );
  return text;
}

const AUDIO = /^(?:audio\/|video\/)|\.(?:mp3|mp4|m4a|wav|webm|ogg|oga|flac|mpeg|mpga)$/i;

export function isAudio(part: { filename?: string; contentType?: string }): boolean {
  return AUDIO.test(part.contentType ?? '') || AUDIO.test(part.filename ?? '');
}

export interface SpeechConfig {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
}

export function speechConfigFromEnv(env: NodeJS.ProcessEnv): SpeechConfig | undefined {
  const baseUrl = env.REVFLOW_SPEECH_BASE_URL?.trim();
  if (!baseUrl) return undefined;
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    apiKey: env.REVFLOW_SPEECH_API_KEY?.trim() || undefined,
    model: env.REVFLOW_SPEECH_MODEL?.trim() || 'whisper-1',
  };
}

export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;

/**
 * Audio → segments through `/v1/audio/transcriptions` (verbose_json gives segments with times).
 * The endpoint is the operator's (an environment variable), not a user's, so it is called directly.
 */
export async function transcribeAudio(
  config: SpeechConfig,
  file: { data: Buffer; filename: string; contentType: string },
  timeoutMs = 600_000,
): Promise<Segment[]> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(file.data)], { type: file.contentType }), file.filename);
  form.append('model', config.model);
  form.append('response_format', 'verbose_json');
  let response: Response;
  try {
    response = await fetch(`${config.baseUrl}/audio/transcriptions`, {
      method: 'POST',
      body: form,
      headers: config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new DomainError(
      'unavailable',
      'speech_unavailable',
      `The speech provider did not answer (${(error as Error).message})`,
    );
  }
  const text = await response.text();
  if (!response.ok)
    throw new DomainError(
      'unavailable',
      'speech_failed',
      `The speech provider answered ${response.status}: ${text.slice(0, 300)}`,
    );
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DomainError(
      'unavailable',
      'speech_failed',
      'The speech provider answered something that is not JSON',
    );
  }
  const value = body as {
    text?: unknown;
    segments?: Array<{ start?: unknown; end?: unknown; text?: unknown; speaker?: unknown }>;
  };
  const segments = Array.isArray(value.segments)
    ? value.segments
        .filter((s) => typeof s.text === 'string' && s.text.trim() !== '')
        .map((s) => ({
          speaker: typeof s.speaker === 'string' ? s.speaker.slice(0, 200) : '',
          startMs: typeof s.start === 'number' && s.start >= 0 ? Math.round(s.start * 1000) : 0,
          endMs: typeof s.end === 'number' && s.end >= 0 ? Math.round(s.end * 1000) : null,
          text: (s.text as string).replaceAll('\u0000', '').trim(),
        }))
    : typeof value.text === 'string' && value.text.trim()
      ? [{ speaker: '', startMs: 0, endMs: null, text: value.text.replaceAll('\u0000', '').trim() }]
      : [];
  if (segments.length === 0)
    throw new DomainError(
      'invalid',
      'speech_empty',
      'The speech provider heard no words in this file',
      'file',
    );
  return segments;
}
