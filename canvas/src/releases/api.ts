import { api, ws } from '../api/client.js';

export type ReleaseCategory = 'new' | 'improved' | 'fixed' | 'security';
export const CATEGORIES: Array<{ id: ReleaseCategory; title: string }> = [
  { id: 'new', title: 'New' },
  { id: 'improved', title: 'Improved' },
  { id: 'fixed', title: 'Fixed' },
  { id: 'security', title: 'Security' },
];
export const PLANS = ['free', 'starter', 'professional', 'enterprise'] as const;
export const ROLES = ['viewer', 'member', 'admin', 'owner'] as const;

export interface ReleaseNote {
  id: string;
  title: string;
  body: string;
  /** Sanitised on the server (marked + sanitize-html): safe to put in the page. */
  html: string;
  category: ReleaseCategory;
  version: string | null;
  featured: boolean;
  status: 'draft' | 'scheduled' | 'published';
  scheduledAt: string | null;
  publishedAt: string | null;
  audience: { plans: string[]; roles: string[] };
  public: boolean;
  read?: boolean;
  createdAt: string;
}

export interface NoteInput {
  title: string;
  body: string;
  category: ReleaseCategory;
  version: string | null;
  featured: boolean;
  audience: { plans: string[]; roles: string[] };
  status: 'draft' | 'scheduled';
  scheduledAt: string | null;
}

/** Fired when read state changes, so the badge and the panel follow without a reload. */
export const RELEASES_CHANGED = 'revflow:releases-changed';
export const releasesChanged = (): void => {
  window.dispatchEvent(new Event(RELEASES_CHANGED));
};

export const releasesApi = {
  changelog: (workspaceId: string) =>
    api.get<{ items: ReleaseNote[]; unread: number }>(`${ws(workspaceId)}/releases`),
  markRead: async (workspaceId: string, body: { noteIds?: string[]; all?: boolean }) => {
    const result = await api.post<{ unread: number }>(`${ws(workspaceId)}/releases/read`, body);
    releasesChanged();
    return result;
  },
  all: () => api.get<{ items: ReleaseNote[] }>('/api/v1/admin/releases'),
  create: (input: NoteInput) => api.post<ReleaseNote>('/api/v1/admin/releases', input),
  update: (id: string, input: Partial<NoteInput>) =>
    api.patch<ReleaseNote>(`/api/v1/admin/releases/${id}`, input),
  publish: async (id: string) => {
    const note = await api.post<ReleaseNote>(`/api/v1/admin/releases/${id}/publish`, {});
    releasesChanged();
    return note;
  },
  remove: (id: string) => api.delete(`/api/v1/admin/releases/${id}`),
  preview: (body: string) => api.post<{ html: string }>('/api/v1/admin/releases/preview', { body }),
};
