import { ReactFlowProvider } from '@xyflow/react';
import { api, ws } from '../api/client.js';
import type { NodeType, Workflow, WorkspaceSummary } from '../api/types.js';
import { Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { isMissing, NotFound } from '../ui/NotFound.js';
import { Editor } from './Editor.js';
import { loadNodeTypes } from './useNodeTypes.js';

/**
 * A page load straight onto an editor URL starts fetching the workflow and the node types at
 * once, in parallel with the session check, instead of after it (one round trip less).
 */
let prefetched: { path: string; workflow: Promise<Workflow> } | undefined;
const opened = /^\/w\/[^/]+\/workflows\/[^/]+$/.exec(location.pathname);
if (opened) {
  const path = `/api/v1/workspaces${opened[0].slice(2)}`;
  prefetched = { path, workflow: api.get<Workflow>(path) };
  prefetched.workflow.catch(() => {
    prefetched = undefined; // signed out, gone, ...: the page asks again and shows why
  });
  loadNodeTypes().catch(() => undefined);
}
function loadWorkflow(path: string): Promise<Workflow> {
  const early = prefetched?.path === path ? prefetched.workflow : undefined;
  prefetched = undefined;
  return early ?? api.get<Workflow>(path);
}

/** Loads a workflow and the node types, then hands them to the editor; a missing one is a not-found page. */
export function EditorPage({ workspace, workflowId }: { workspace: WorkspaceSummary; workflowId: string }) {
  const loaded = useLoad(async (): Promise<{ workflow: Workflow; types: Map<string, NodeType> } | 'missing'> => {
    try {
      const [workflow, types] = await Promise.all([
        loadWorkflow(`${ws(workspace.id)}/workflows/${workflowId}`),
        loadNodeTypes(),
      ]);
      return { workflow, types };
    } catch (error) {
      if (isMissing(error)) return 'missing';
      throw error;
    }
  }, [workspace.id, workflowId]);
  if (loaded.data === 'missing')
    return (
      <NotFound
        title="Workflow not found"
        detail="This workflow does not exist, was deleted, or belongs to another workspace."
        back={{ to: `/w/${workspace.id}/workflows`, label: 'Back to workflows' }}
      />
    );
  if (loaded.error)
    return (
      <div className="page">
        <p className="form-error">{loaded.error}</p>
      </div>
    );
  if (!loaded.data) {
    return (
      <div className="page">
        <Skeleton rows={8} />
      </div>
    );
  }
  return (
    <ReactFlowProvider>
      <Editor workspace={workspace} workflow={loaded.data.workflow} types={loaded.data.types} />
    </ReactFlowProvider>
  );
}
