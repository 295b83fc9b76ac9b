import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ws } from '../api/client.js';
import type { JsonValue, Run, RunWithSteps } from '../api/types.js';

export type TestMode = 'workflow' | 'until' | 'node';
export interface TestRequest {
  mode: TestMode;
  nodeId?: string;
  /** Typed JSON; absent: the input (or upstream outputs) of the last run. */
  input?: JsonValue;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

/**
 * The editor's latest test run of the draft (POST …/test-runs), followed until it ends so the
 * canvas can show each node's status and the panels its data.
 */
export function useTestRun(workspaceId: string, workflowId: string) {
  const [run, setRun] = useState<RunWithSteps | null>(null);
  const [starting, setStarting] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const follow = useCallback(
    (runId: string) => {
      const poll = async (): Promise<void> => {
        const current = await api.get<RunWithSteps>(`${ws(workspaceId)}/runs/${runId}`);
        setRun(current);
        if (!FINISHED.has(current.status) && current.status !== 'waiting')
          timer.current = setTimeout(() => void poll().catch(() => undefined), 300);
      };
      void poll().catch(() => undefined);
    },
    [workspaceId],
  );

  const start = useCallback(
    async (request: TestRequest): Promise<Run> => {
      setStarting(true);
      try {
        const started = await api.post<Run>(`${ws(workspaceId)}/workflows/${workflowId}/test-runs`, {
          mode: request.mode,
          ...(request.nodeId ? { nodeId: request.nodeId } : {}),
          ...(request.input !== undefined ? { input: request.input } : {}),
        });
        clearTimeout(timer.current);
        setRun({ ...started, version: null, steps: [] });
        follow(started.id);
        return started;
      } finally {
        setStarting(false);
      }
    },
    [workspaceId, workflowId, follow],
  );
  return { run, starting, start };
}
