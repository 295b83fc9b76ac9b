import type { Json } from '../../engine/json.js';
import type { AiProviderId } from '../ai/service.js';

/** Voice-to-Action as nodes reach it (`api/voice` implements it): calls, extraction, tasks. */

export interface VoiceCallSummary {
  callId: string;
  title: string;
  startedAt: string;
  durationSeconds: number;
  leadId: string | null;
  participants: Json;
  speakers: string[];
  segmentCount: number;
}

export interface VoiceExtractOptions {
  provider?: AiProviderId;
  model?: string;
  credentialId?: string;
  idempotencyKey: string;
  signal?: AbortSignal;
}

export interface VoiceExtractResult {
  callId: string;
  provider: AiProviderId;
  model: string;
  actionItems: Json[];
  decisions: Json[];
  questions: Json[];
}

export interface VoiceService {
  /** Extract (again) from a stored call of the workspace; reviewed items are kept. */
  extract(workspaceId: string, callId: string, options: VoiceExtractOptions): Promise<VoiceExtractResult>;
  /**
   * One task per action item that is accepted (or, with `all`, not dropped), once per call and
   * item however often it is asked: the task's source key is `voice:<callId>:<itemId>`.
   */
  createTasks(
    workspaceId: string,
    callId: string,
    options: { which: 'accepted' | 'all'; runId?: string },
  ): Promise<{ tasks: Json[]; created: number }>;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    voice?: VoiceService;
  }
}
