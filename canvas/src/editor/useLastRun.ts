import { useEffect, useState } from 'react';
import { api, ws } from '../api/client.js';
import type { List, Run, RunWithSteps } from '../api/types.js';
import { runSample, type RunSample } from './expressions.js';

/**
 * What the workflow's latest run recorded (step inputs and outputs), for expression completions
 * with real field names. Fetched once when the editor opens; nothing when there is no run yet.
 */
export function useLastRunSample(workspaceId: string, workflowId: string): RunSample | undefined {
  const [sample, setSample] = useState<RunSample>();
  useEffect(() => {
    let live = true;
    const load = async (): Promise<void> => {
      const base = `${ws(workspaceId)}/runs`;
      const runs = await api.get<List<Run>>(`${base}?workflowId=${encodeURIComponent(workflowId)}&limit=1`);
      const latest = runs.items[0];
      if (!latest) return;
      const run = await api.get<RunWithSteps>(`${base}/${latest.id}`);
      if (live) setSample(runSample(run));
    };
    // Completions are a convenience: without them the fields still offer the scope's names.
    load().catch(() => undefined);
    return () => {
      live = false;
    };
  }, [workspaceId, workflowId]);
  return sample;
}
