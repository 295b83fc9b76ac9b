import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, messageOf, ws } from '../api/client.js';
import type { Workflow, WorkflowDocument } from '../api/types.js';

export type SaveState = 'saved' | 'pending' | 'saving' | 'error';

/** Debounced PUT of the draft; the server answers with the draft's validation. */
export function useAutosave(options: {
  workspaceId: string;
  workflowId: string;
  initial: WorkflowDocument;
  document: () => WorkflowDocument;
  version: unknown;
  onSaved: (workflow: Workflow) => void;
  enabled: boolean;
}) {
  const [state, setState] = useState<SaveState>('saved');
  const [error, setError] = useState<string | null>(null);
  const saved = useRef(JSON.stringify(options.initial));
  const inFlight = useRef<Promise<void> | null>(null);
  const latest = useRef(options);
  latest.current = options;

  const save = useCallback(async (): Promise<void> => {
    if (inFlight.current) await inFlight.current;
    const { workspaceId, workflowId, document, onSaved } = latest.current;
    const doc = document();
    const text = JSON.stringify(doc);
    if (text === saved.current) {
      setState('saved');
      return;
    }
    setState('saving');
    const attempt = (async () => {
      try {
        const workflow = await api.put<Workflow>(`${ws(workspaceId)}/workflows/${workflowId}`, doc);
        saved.current = text;
        setError(null);
        onSaved(workflow);
        setState(JSON.stringify(latest.current.document()) === text ? 'saved' : 'pending');
      } catch (failure) {
        setState('error');
        setError(failure instanceof ApiError ? messageOf(failure) : String(failure));
      }
    })();
    inFlight.current = attempt;
    await attempt;
    inFlight.current = null;
  }, []);

  useEffect(() => {
    if (!options.enabled || options.version === 0) return;
    setState((s) => (s === 'saving' ? s : 'pending'));
    const timer = setTimeout(() => void save(), 700);
    return () => clearTimeout(timer);
  }, [options.version, options.enabled, save]);

  // Leaving the editor saves what the debounce had not saved yet.
  useEffect(() => () => void save(), [save]);

  useEffect(() => {
    const warn = (event: BeforeUnloadEvent): void => {
      if (JSON.stringify(latest.current.document()) !== saved.current) event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  return { state, error, saveNow: save };
}
