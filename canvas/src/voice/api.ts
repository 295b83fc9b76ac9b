import { api, ApiError, ws, type Problem } from '../api/client.js';

/** Voice-to-Action's API (api/voice/routes.ts) as the Calls page uses it. */

export interface VoiceStatus {
  enabled: boolean;
  plan: string;
  requiredPlan: string;
  speech: boolean;
}
export interface Participant {
  name: string;
  email?: string;
  userId?: string;
  leadId?: string;
}
export interface Call {
  id: string;
  title: string;
  startedAt: string;
  durationSeconds: number;
  participants: Participant[];
  leadId: string | null;
  sourceFormat: string;
  status: 'transcribed' | 'extracted' | 'reviewed';
  createdAt: string;
  segmentCount?: number;
  speakers?: string[];
}
export interface CallItem {
  id: string;
  kind: 'action' | 'decision' | 'question';
  text: string;
  owner: Participant | null;
  ownerReason: string | null;
  dueDate: string | null;
  dueText: string | null;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  quote: string;
  speaker: string;
  startMs: number;
  provider: string;
  status: 'proposed' | 'accepted' | 'dropped' | 'created';
  edited: boolean;
  taskId: string | null;
}
export interface Segment {
  speaker: string;
  startMs: number;
  endMs: number | null;
  text: string;
  at: string;
}
export interface ItemPatch {
  action?: 'accept' | 'drop' | 'reopen';
  text?: string;
  dueDate?: string | null;
  priority?: CallItem['priority'];
  owner?: { userId: string } | { name: string } | null;
}

/** The upload goes as multipart/form-data (files up to 10 MB; audio to 25 MB). */
async function upload(workspaceId: string, form: FormData): Promise<Call & { items: CallItem[] }> {
  let response: Response;
  try {
    response = await fetch(`${ws(workspaceId)}/calls`, {
      method: 'POST',
      headers: { accept: 'application/json', 'X-Revflow-CSRF': '1' },
      credentials: 'same-origin',
      body: form,
    });
  } catch {
    throw new ApiError({ title: 'Network error', status: 0, detail: 'The server cannot be reached' });
  }
  const text = await response.text();
  const parsed: unknown =
    text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : null;
  if (!response.ok)
    throw new ApiError({
      ...((parsed ?? { title: response.statusText }) as Problem),
      status: response.status,
    });
  return parsed as Call & { items: CallItem[] };
}

export const voiceApi = {
  status: (id: string) => api.get<VoiceStatus>(`${ws(id)}/voice/status`),
  list: (id: string) => api.get<{ items: Call[] }>(`${ws(id)}/calls`),
  get: (id: string, callId: string) => api.get<Call & { items: CallItem[] }>(`${ws(id)}/calls/${callId}`),
  segments: (id: string, callId: string) =>
    api.get<{ items: Segment[] }>(`${ws(id)}/calls/${callId}/segments?limit=5000`),
  upload,
  review: (id: string, callId: string, itemId: string, patch: ItemPatch) =>
    api.patch<CallItem>(`${ws(id)}/calls/${callId}/items/${itemId}`, patch),
  createTasks: (id: string, callId: string) =>
    api.post<{ tasks: Array<{ id: string; title: string }>; created: number }>(
      `${ws(id)}/calls/${callId}/tasks`,
      {},
    ),
  extract: (id: string, callId: string) => api.post<unknown>(`${ws(id)}/calls/${callId}/extract`, {}),
  remove: (id: string, callId: string) => api.delete(`${ws(id)}/calls/${callId}`),
  members: (id: string) =>
    api.get<{ items: Array<{ userId: string; name: string; email: string }> }>(`${ws(id)}/members`),
};
