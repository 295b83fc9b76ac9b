/**
 * Knowledge Fusion as nodes reach it (`ctx.services.knowledge`, issue 14); api/knowledge implements
 * it over Postgres. Nodes never touch the tables themselves.
 */
export type KnowledgeKind = 'battle_card' | 'playbook' | 'objection_handler' | 'faq';
export type KnowledgeProvider = 'local' | 'openai-compatible';

export interface KnowledgeTextSource {
  title: string;
  text: string;
}

export interface KnowledgeGenerateRequest {
  callIds?: string[];
  /** outbound_events ids of email replies. */
  emailIds?: string[];
  texts?: KnowledgeTextSource[];
  /** Text from a workflow run, linked as a `run` source. */
  run?: { runId: string; title: string; text: string };
  /** Only these kinds of documents (default all four). */
  kinds?: KnowledgeKind[];
  provider?: KnowledgeProvider;
  idempotencyKey: string;
  userId: string | null;
}

export interface KnowledgeGenerated {
  id: string;
  kind: KnowledgeKind;
  title: string;
  competitor: string | null;
  version: number;
  created: boolean;
  /** Sections whose text this generation wrote. */
  updatedSections: string[];
  /** Sections a human edited: their new quotes were kept, their text was not touched. */
  keptHumanSections: string[];
}

export interface KnowledgeGenerateResult {
  provider: KnowledgeProvider;
  documents: KnowledgeGenerated[];
  found: { objections: number; competitorMentions: number; questions: number; talkTracks: number };
}

export interface KnowledgeSearchHit {
  id: string;
  kind: KnowledgeKind;
  title: string;
  competitor: string | null;
  tags: string[];
  rank: number | null;
  snippet: string;
  /** The document's markdown (for a reply draft). */
  markdown: string;
}

export interface KnowledgeService {
  generate(workspaceId: string, request: KnowledgeGenerateRequest): Promise<KnowledgeGenerateResult>;
  search(
    workspaceId: string,
    request: { q: string; kind?: KnowledgeKind; competitor?: string; tag?: string; limit: number },
  ): Promise<KnowledgeSearchHit[]>;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    knowledge?: KnowledgeService;
  }
}
