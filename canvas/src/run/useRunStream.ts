import { useEffect, useState } from 'react';
import { ws } from '../api/client.js';
import type { Run, RunWithSteps, Step } from '../api/types.js';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

/** A run kept live over Server-Sent Events: a snapshot, then `step` and `run` events. */
export function useRunStream(
  workspaceId: string,
  runId: string,
): { run: RunWithSteps | null; error: string | null } {
  const [run, setRun] = useState<RunWithSteps | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const source = new EventSource(`${ws(workspaceId)}/runs/${runId}/events`);
    let finished = false;
    source.addEventListener('snapshot', (event) => {
      const snapshot = JSON.parse((event as MessageEvent<string>).data) as RunWithSteps;
      finished = FINISHED.has(snapshot.status);
      setRun(snapshot);
      setError(null);
    });
    source.addEventListener('step', (event) => {
      const step = JSON.parse((event as MessageEvent<string>).data) as Step;
      setRun((current) => {
        if (!current) return current;
        const steps = current.steps.some((s) => s.nodeId === step.nodeId)
          ? current.steps.map((s) => (s.nodeId === step.nodeId ? step : s))
          : [...current.steps, step];
        return { ...current, steps };
      });
    });
    source.addEventListener('run', (event) => {
      const update = JSON.parse((event as MessageEvent<string>).data) as Run;
      finished = FINISHED.has(update.status);
      setRun((current) => (current ? { ...current, ...update } : current));
    });
    source.onerror = () => {
      // The server closes the stream when the run ends; anything else is worth saying.
      if (finished) source.close();
      else setError('Live updates interrupted; reconnecting…');
    };
    return () => source.close();
  }, [workspaceId, runId]);
  return { run, error };
}
