import { ReactFlowProvider } from '@xyflow/react';
import { api, ws } from '../api/client.js';
import type { NodeType, Workflow, WorkspaceSummary } from '../api/types.js';
import { Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { Editor } from './Editor.js';
import { loadNodeTypes } from './useNodeTypes.js';

/** Loads a workflow and the node types, then hands them to the editor. */
export function EditorPage({ workspace, workflowId }: { workspace: WorkspaceSummary; workflowId: string }) {
  const loaded = useLoad(async (): Promise<{ workflow: Workflow; types: Map<string, NodeType> }> => {
    const [workflow, types] = await Promise.all([
      api.get<Workflow>(`${ws(workspace.id)}/workflows/${workflowId}`),
      loadNodeTypes(),
    ]);
    return { workflow, types };
  }, [workspace.id, workflowId]);
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
