import { api, ws } from '../api/client.js';

export type FeedbackKind = 'idea' | 'problem' | 'praise';
export type StatusKind = 'open' | 'planned' | 'in_progress' | 'shipped' | 'declined';

export interface FeedbackStatus {
  id: string;
  kind: StatusKind;
  name: string;
  position: number;
  builtin: boolean;
}

export interface Post {
  id: string;
  kind: FeedbackKind;
  title: string;
  body: string;
  page: string | null;
  status: FeedbackStatus;
  votes: number;
  voted: boolean;
  mine: boolean;
  comments: number;
  mergedIntoId: string | null;
  release: { id: string; title: string; version: string | null; published: boolean } | null;
  shippedAt: string | null;
  createdAt: string;
  author?: { name: string; email: string } | null;
}

export interface Comment {
  id: string;
  body: string;
  author: string;
  mine: boolean;
  createdAt: string;
}

export interface Notification {
  id: string;
  title: string;
  body: string;
  postId: string;
  releaseNoteId: string | null;
  read: boolean;
  createdAt: string;
}

export type Eligibility =
  { eligible: true; displayId?: string } | { eligible: false; reason: string; until?: string };

export interface NpsFigures {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  nps: number | null;
}
export interface NpsResults extends NpsFigures {
  overTime: Array<NpsFigures & { week: string }>;
  byPlan: Array<NpsFigures & { plan: string }>;
  byWorkspace: Array<NpsFigures & { workspaceId: string; workspaceName: string }>;
  comments: Array<{
    id: string;
    score: number;
    category: string;
    comment: string;
    plan: string;
    workspaceName: string;
    email: string;
    createdAt: string;
  }>;
}

/** Fired when notifications change (read, or a post shipped), so every widget follows. */
export const FEEDBACK_CHANGED = 'revflow:feedback-changed';
export const feedbackChanged = (): void => {
  window.dispatchEvent(new Event(FEEDBACK_CHANGED));
};

const fb = (workspaceId: string) => `${ws(workspaceId)}/feedback`;

export const feedbackApi = {
  give: (workspaceId: string, body: { kind: FeedbackKind; text: string; page: string }) =>
    api.post<Post>(fb(workspaceId), body),
  posts: (workspaceId: string, query: { sort: 'top' | 'new'; status?: StatusKind }) =>
    api.get<{ items: Post[] }>(
      `${fb(workspaceId)}/posts?sort=${query.sort}${query.status ? `&status=${query.status}` : ''}`,
    ),
  post: (workspaceId: string, id: string) =>
    api.get<Post & { commentList: Comment[] }>(`${fb(workspaceId)}/posts/${id}`),
  vote: (workspaceId: string, id: string) => api.post<Post>(`${fb(workspaceId)}/posts/${id}/votes`, {}),
  unvote: (workspaceId: string, id: string) => api.delete<Post>(`${fb(workspaceId)}/posts/${id}/votes`),
  comment: (workspaceId: string, id: string, body: string) =>
    api.post<{ id: string }>(`${fb(workspaceId)}/posts/${id}/comments`, { body }),
  statuses: (workspaceId: string) => api.get<{ items: FeedbackStatus[] }>(`${fb(workspaceId)}/statuses`),
  notifications: (workspaceId: string) =>
    api.get<{ items: Notification[] }>(`${fb(workspaceId)}/notifications`),
  readNotification: async (workspaceId: string, id: string) => {
    await api.post(`${fb(workspaceId)}/notifications/${id}/read`, {});
    feedbackChanged();
  },
  // Instance admins
  allPosts: (kind?: FeedbackKind) =>
    api.get<{ items: Post[] }>(`/api/v1/admin/feedback/posts?sort=new${kind ? `&kind=${kind}` : ''}`),
  moderate: (id: string, change: { statusId?: string; releaseNoteId?: string | null }) =>
    api.patch<Post>(`/api/v1/admin/feedback/posts/${id}`, change),
  merge: (id: string, intoId: string) =>
    api.post<Post>(`/api/v1/admin/feedback/posts/${id}/merge`, { intoId }),
  voters: (id: string) =>
    api.get<{ items: Array<{ name: string; email: string; votedAt: string }> }>(
      `/api/v1/admin/feedback/posts/${id}/voters`,
    ),
  addStatus: (body: { name: string; kind: StatusKind }) =>
    api.post<FeedbackStatus>('/api/v1/admin/feedback/statuses', body),
  renameStatus: (id: string, name: string) =>
    api.patch<FeedbackStatus>(`/api/v1/admin/feedback/statuses/${id}`, { name }),
  npsResults: (days: number) => api.get<NpsResults>(`/api/v1/admin/nps?days=${days}`),
  // NPS survey
  survey: (workspaceId: string) => api.get<Eligibility>(`${ws(workspaceId)}/nps/survey`),
  display: (workspaceId: string) => api.post<{ displayId: string }>(`${ws(workspaceId)}/nps/displays`, {}),
  respond: (workspaceId: string, displayId: string, body: { score: number; comment?: string }) =>
    api.post<{ id: string; category: string }>(`${ws(workspaceId)}/nps/displays/${displayId}/response`, body),
  dismiss: (workspaceId: string, displayId: string) =>
    api.post(`${ws(workspaceId)}/nps/displays/${displayId}/dismiss`, {}),
};
