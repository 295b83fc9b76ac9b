import { api, ws } from '../api/client.js';

/** Knowledge Fusion's API (api/knowledge/routes.ts). */
export const kinds = ['battle_card', 'playbook', 'objection_handler', 'faq'] as const;
export type Kind = (typeof kinds)[number];
export const kindTitles: Record<Kind, string> = {
  battle_card: 'Battle card',
  playbook: 'Playbook',
  objection_handler: 'Objection handler',
  faq: 'FAQ',
};

export interface Hit {
  id: string;
  kind: Kind;
  title: string;
  competitor: string | null;
  tags: string[];
  version: number;
  provider: string;
  updatedAt: string;
  rank: number | null;
  snippet: Array<{ text: string; hit: boolean }>;
}
export interface Section {
  key: string;
  heading: string;
  markdown: string;
  /** Sanitised on the server (marked + sanitize-html). */
  html: string;
  provider: string;
  humanEdited: boolean;
  editedBy: string | null;
  updatedAt: string;
  quotes: number;
}
export interface Source {
  sourceType: 'call' | 'email' | 'run' | 'text';
  sourceRef: string;
  label: string;
  excerpt: string;
}
export interface KnowledgeDocument {
  id: string;
  kind: Kind;
  title: string;
  competitor: string | null;
  tags: string[];
  version: number;
  provider: string;
  generated: boolean;
  html: string;
  sections: Section[];
  sources: Source[];
  views: { total: number; viewers: number; mine: number };
  createdAt: string;
  updatedAt: string;
}
export interface Version {
  version: number;
  title: string;
  change: 'created' | 'generated' | 'edited';
  provider: string;
  authorId: string | null;
  createdAt: string;
  humanSections: string[];
}
export interface Viewer {
  userId: string;
  email: string | null;
  name: string | null;
  count: number;
  lastViewedAt: string;
}
export interface GenerateResult {
  provider: string;
  documents: Array<{
    id: string;
    kind: Kind;
    title: string;
    created: boolean;
    updatedSections: string[];
    keptHumanSections: string[];
  }>;
  found: { objections: number; competitorMentions: number; questions: number; talkTracks: number };
}

const base = (id: string): string => `${ws(id)}/knowledge`;

export const knowledgeApi = {
  status: (id: string) => api.get<{ enabled: boolean; requiredPlan: string }>(`${base(id)}/status`),
  search: (id: string, filters: { q: string; kind: string; competitor: string; tag: string }) => {
    const params = new URLSearchParams({ limit: '50' });
    for (const [key, value] of Object.entries(filters)) if (value.trim()) params.set(key, value.trim());
    return api.get<{ items: Hit[]; total: number; totalCapped: boolean }>(
      `${base(id)}/documents?${params.toString()}`,
    );
  },
  get: (id: string, docId: string) => api.get<KnowledgeDocument>(`${base(id)}/documents/${docId}`),
  view: (id: string, docId: string) =>
    api.post<{ total: number }>(`${base(id)}/documents/${docId}/views`, {}),
  viewers: (id: string, docId: string) =>
    api.get<{ items: Viewer[] }>(`${base(id)}/documents/${docId}/views`),
  history: (id: string, docId: string) =>
    api.get<{ items: Version[] }>(`${base(id)}/documents/${docId}/history`),
  editSection: (id: string, docId: string, version: number, key: string, body: string) =>
    api.patch<KnowledgeDocument>(`${base(id)}/documents/${docId}`, { version, sections: [{ key, body }] }),
  release: (id: string, docId: string, key: string) =>
    api.patch<KnowledgeDocument>(`${base(id)}/documents/${docId}`, { sections: [{ key, release: true }] }),
  generateFromText: (id: string, title: string, text: string) =>
    api.post<GenerateResult>(`${base(id)}/generate`, { texts: [{ title, text }] }),
  settings: (id: string) => api.get<{ competitors: string[] }>(`${base(id)}/settings`),
  saveSettings: (id: string, competitors: string[]) =>
    api.put<{ competitors: string[] }>(`${base(id)}/settings`, { competitors }),
};
