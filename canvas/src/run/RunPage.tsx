import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, type Edge } from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';
import { api, ws } from '../api/client.js';
import type { NodeType, Run, Step, Version, WorkspaceSummary } from '../api/types.js';
import { Link, navigate } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Badge, duration, pretty, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { CanvasContext, type CanvasInfo } from '../editor/canvasContext.js';
import { applyCanvasNodeChanges, toGraph, type FlowNode } from '../editor/model.js';
import { nodeTypes } from '../editor/RevflowNode.js';
import { loadNodeTypes } from '../editor/useNodeTypes.js';
import { StepPanel } from './StepPanel.js';
import { RetryModal } from './RetryModal.js';
import { isMissing, NotFound } from '../ui/NotFound.js';
import type { JsonValue } from '../api/types.js';
import { useRunStream } from './useRunStream.js';

const ACTIVE = new Set(['queued', 'running', 'waiting']);
const STATUS_COLOURS: Record<string, string> = {
  succeeded: '#16a34a',
  failed: '#dc2626',
  running: '#2563eb',
  waiting: '#d97706',
};
const minimapColor =
  (steps: Map<string, Step>) =>
  (node: FlowNode): string =>
    STATUS_COLOURS[steps.get(node.id)?.status ?? ''] ?? '#98a1b3';

/** One run, live: the version it ran, drawn with each node's status; click a node for its step. */
export function RunPage({ workspace, runId }: { workspace: WorkspaceSummary; runId: string }) {
  // A run that does not exist is a not-found page, not an endless "reconnecting…".
  const exists = useLoad(async () => {
    try {
      await api.get<Run>(`${ws(workspace.id)}/runs/${encodeURIComponent(runId)}`);
      return true;
    } catch (failure) {
      if (isMissing(failure)) return false;
      throw failure;
    }
  }, [workspace.id, runId]);
  if (exists.data === false)
    return (
      <NotFound
        title="Run not found"
        detail="This run does not exist, was removed by retention, or belongs to another workspace."
        back={{ to: `/w/${workspace.id}/runs`, label: 'Back to runs' }}
      />
    );
  if (exists.data !== true)
    return (
      <div className="page">
        {exists.error ? <p className="form-error">{exists.error}</p> : <Skeleton rows={6} />}
      </div>
    );
  return <RunView workspace={workspace} runId={runId} />;
}

function RunView({ workspace, runId }: { workspace: WorkspaceSummary; runId: string }) {
  const toast = useToast();
  const { run, error } = useRunStream(workspace.id, runId);
  const [retrying, setRetrying] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const versionKey = run ? `${run.workflowId}/${run.versionId}` : '';
  const context = useLoad(async () => {
    if (!run) return null;
    const [version, types] = await Promise.all([
      api.get<Version>(`${ws(workspace.id)}/workflows/${run.workflowId}/versions/${run.versionId}`),
      loadNodeTypes(),
    ]);
    return { version, types };
  }, [versionKey]);
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  useEffect(() => {
    if (!context.data) return;
    const graph = toGraph(context.data.version.document, context.data.types);
    setNodes(graph.nodes);
    setEdges(graph.edges);
  }, [context.data]);

  const steps = useMemo(
    () => new Map<string, Step>((run?.steps ?? []).map((s) => [s.nodeId, s])),
    [run?.steps],
  );
  const types = context.data?.types ?? new Map<string, NodeType>();
  const info = useMemo<CanvasInfo>(() => ({ types, issues: new Map(), steps }), [types, steps]);

  // Animate edges into running nodes.
  const liveEdges = useMemo(
    () =>
      edges.map((edge) => ({
        ...edge,
        animated: steps.get(edge.target)?.status === 'running',
        className: steps.get(edge.source)?.ports.includes(edge.sourceHandle ?? 'out') ? 'edge--fired' : '',
      })),
    [edges, steps],
  );

  const act = async (action: 'retry' | 'cancel'): Promise<void> => {
    try {
      const next = await api.post<Run>(`${ws(workspace.id)}/runs/${runId}/${action}`, {});
      if (action === 'retry') {
        toast.show('info', 'Retrying from the failed step');
        navigate(`/w/${workspace.id}/runs/${next.id}`);
      } else toast.show('info', 'Cancellation requested');
    } catch (failure) {
      toast.error(failure);
    }
  };

  // A test run's version is a snapshot of the draft kept by a hidden companion workflow.
  const test = Boolean(context.data && run && context.data.version.workflowId !== run.workflowId);
  const retryWith = async (input: JsonValue): Promise<void> => {
    if (!run) return;
    try {
      const base = `${ws(workspace.id)}/workflows/${run.workflowId}`;
      const next = test
        ? await api.post<Run>(`${base}/test-runs`, { input })
        : await api.post<Run>(`${base}/runs`, { input, retryOf: run.id });
      setRetrying(false);
      toast.show('info', test ? 'Test run started with the edited input' : 'Retry started with the edited input');
      navigate(`/w/${workspace.id}/runs/${next.id}`);
    } catch (failure) {
      toast.error(failure);
    }
  };

  if (!run) {
    return (
      <div className="page">{error ? <p className="form-error">{error}</p> : <Skeleton rows={6} />}</div>
    );
  }
  const selectedNode = nodes.find((n) => n.id === selected);
  const total =
    run.startedAt && run.finishedAt
      ? new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime()
      : null;
  return (
    <CanvasContext.Provider value={info}>
      <div className="editor" data-testid="run-page">
        <header className="toolbar">
          <Link to={`/w/${workspace.id}/runs`} className="btn btn--ghost btn--small">
            ← Runs
          </Link>
          <strong className="toolbar__name">{context.data?.version.document.name ?? 'Run'}</strong>
          <Badge status={run.status} testId="run-status" />
          <small className="muted">
            v{run.version ?? '?'} · started {timeAgo(run.createdAt)}
            {total !== null ? ` · ${duration(total)}` : ''}
            {run.retryOf ? ' · retry' : ''}
          </small>
          {test && (
            <span className="badge badge--draft" data-testid="run-test-badge">
              test run
            </span>
          )}
          {error && <small className="form-error">{error}</small>}
          <div className="toolbar__spacer" />
          <Link to={`/w/${workspace.id}/workflows/${run.workflowId}`} className="btn btn--small">
            Open workflow
          </Link>
          {ACTIVE.has(run.status) && workspace.role !== 'viewer' && (
            <button
              className="btn btn--small btn--danger"
              onClick={() => void act('cancel')}
              data-testid="cancel-run"
            >
              Cancel
            </button>
          )}
          {['failed', 'cancelled', 'timed_out'].includes(run.status) && workspace.role !== 'viewer' && (
            <button
              className="btn btn--primary btn--small"
              onClick={() => void act('retry')}
              data-testid="retry-run"
            >
              ↻ Retry
            </button>
          )}
          {['failed', 'cancelled', 'timed_out', 'succeeded'].includes(run.status) &&
            workspace.role !== 'viewer' && (
              <button className="btn btn--small" onClick={() => setRetrying(true)} data-testid="retry-edited">
                Retry with edited input…
              </button>
            )}
        </header>
        <div className="editor__body">
          <div className="canvas">
            {!context.data ? (
              <Skeleton rows={5} />
            ) : (
              <ReactFlowProvider>
                <ReactFlow<FlowNode, Edge>
                  nodes={nodes}
                  edges={liveEdges}
                  nodeTypes={nodeTypes}
                  onNodesChange={(changes) => setNodes((list) => applyCanvasNodeChanges(changes, list))}
                  nodesDraggable={false}
                  nodesConnectable={false}
                  elementsSelectable
                  onNodeClick={(_, node) => setSelected(node.id)}
                  onPaneClick={() => setSelected(null)}
                  fitView
                  fitViewOptions={{ maxZoom: 1.1, padding: 0.3 }}
                  proOptions={{ hideAttribution: true }}
                >
                  <Background gap={20} />
                  <MiniMap pannable zoomable nodeColor={minimapColor(steps)} />
                  <Controls showInteractive={false} />
                </ReactFlow>
              </ReactFlowProvider>
            )}
          </div>
          {selectedNode ? (
            <StepPanel
              nodeId={selectedNode.id}
              title={
                selectedNode.data.spec.name ||
                types.get(selectedNode.data.spec.type)?.title ||
                selectedNode.id
              }
              step={steps.get(selectedNode.id)}
            />
          ) : (
            <aside className="panel" data-testid="run-summary">
              <header className="panel__header">
                <h3>Run</h3>
              </header>
              <p className="muted">Click a node to see what went in and what came out.</p>
              {run.error && (
                <pre className="code-block code-block--error" data-testid="run-error">
                  {run.error.message}
                </pre>
              )}
              <h4 className="panel__subtitle">Input</h4>
              <pre className="code-block">{pretty(run.input)}</pre>
              <h4 className="panel__subtitle">Output</h4>
              <pre className="code-block" data-testid="run-output">
                {run.output === null || run.output === undefined ? '—' : pretty(run.output)}
              </pre>
            </aside>
          )}
        </div>
      </div>
      {retrying && (
        <RetryModal
          input={run.input}
          test={test}
          onClose={() => setRetrying(false)}
          onRetry={retryWith}
        />
      )}
    </CanvasContext.Provider>
  );
}
