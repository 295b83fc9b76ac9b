import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  applyEdgeChanges,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { api, ApiError, ws } from '../api/client.js';
import type {
  JsonValue,
  NodeType,
  Run,
  Step,
  ValidationIssue,
  Version,
  Workflow,
  WorkflowSummary,
  WorkspaceSummary,
} from '../api/types.js';
import { Link, navigate } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Badge } from '../ui/bits.js';
import { CredentialScope } from '../credentials/api.js';
import { CanvasContext, type CanvasInfo } from './canvasContext.js';
import { PublishModal, RunModal, VersionsModal } from './dialogs.js';
import {
  applyCanvasNodeChanges,
  autoLayout,
  defaultConfig,
  keepMeasurements,
  edgeId,
  newNodeId,
  portsOf,
  toDocument,
  toGraph,
  wouldCycle,
  type FlowNode,
  type Graph,
  type NodeData,
} from './model.js';
import { NodePanel, WorkflowPanel } from './NodePanel.js';
import { DRAG_TYPE, Palette } from './Palette.js';
import { nodeTypes } from './RevflowNode.js';
import { ExpressionContext, expressionSuggestions } from './expressions.js';
import { useAutosave } from './useAutosave.js';
import { useHistory } from './useHistory.js';
import { useLastRunSample } from './useLastRun.js';
import { useDynamicPorts } from './useDynamicPorts.js';

interface Props {
  workspace: WorkspaceSummary;
  workflow: Workflow;
  types: Map<string, NodeType>;
}

const EMPTY_STEPS = new Map<string, Step>();
const NO_ISSUES: ValidationIssue[] = [];
const DELETE_KEYS = ['Backspace', 'Delete'];
const MULTI_SELECT_KEYS = ['Shift', 'Meta', 'Control'];
const FIT_VIEW = { maxZoom: 1.1, padding: 0.3 };
const EDGE_OPTIONS = { type: 'smoothstep' };
const PRO = { hideAttribution: true };
const LARGE = 150;

function startViewport(nodes: FlowNode[]): { x: number; y: number; zoom: number } {
  const zoom = 0.8;
  const first = nodes.find((n) => n.data.spec.type.startsWith('trigger.')) ?? nodes[0];
  return { x: 60 - (first?.position.x ?? 0) * zoom, y: 60 - (first?.position.y ?? 0) * zoom, zoom };
}

export function Editor({ workspace, workflow, types }: Props) {
  const toast = useToast();
  const flow = useReactFlow<FlowNode, Edge>();
  const wrapper = useRef<HTMLDivElement>(null);
  const readOnly = workspace.role === 'viewer';
  const [graph, setGraph] = useState<Graph>(() => toGraph(workflow.draft, types));
  const graphRef = useRef(graph);
  graphRef.current = graph;
  /** Bumped by every change to the document (not by selection or measuring): drives autosave. */
  const [docVersion, setDocVersion] = useState(0);
  const edit = useCallback((update: Graph | ((g: Graph) => Graph)) => {
    setGraph(update);
    setDocVersion((v) => v + 1);
  }, []);
  const [issues, setIssues] = useState<ValidationIssue[]>(workflow.validation.issues);
  // A big graph's minimap (a shape per node) is drawn once the canvas itself is up and idle.
  const [minimap, setMinimap] = useState(() => workflow.draft.nodes.length <= LARGE);
  useEffect(() => {
    if (minimap) return;
    const show = (): void => setMinimap(true);
    if (typeof requestIdleCallback === 'function') {
      const handle = requestIdleCallback(show, { timeout: 1500 });
      return () => cancelIdleCallback(handle);
    }
    const timer = setTimeout(show, 200);
    return () => clearTimeout(timer);
  }, [minimap]);
  const sample = useLastRunSample(workspace.id, workflow.id);
  const [summary, setSummary] = useState<WorkflowSummary>(workflow);
  const [dialog, setDialog] = useState<'publish' | 'run' | 'versions' | null>(null);
  const [draftAhead, setDraftAhead] = useState(workflow.publishedVersionId === null);
  const clipboard = useRef<{ nodes: FlowNode[]; edges: Edge[] } | null>(null);

  const history = useHistory<Graph>(
    useCallback(() => graphRef.current, []),
    useCallback(
      (state: Graph) => edit({ ...state, nodes: keepMeasurements(state.nodes, graphRef.current.nodes) }),
      [edit],
    ),
  );
  const document = useCallback(() => toDocument(graphRef.current), []);
  const autosave = useAutosave({
    workspaceId: workspace.id,
    workflowId: workflow.id,
    initial: workflow.draft,
    document,
    version: docVersion,
    enabled: !readOnly,
    onSaved: (saved) => {
      setIssues(saved.validation.issues);
      setSummary(saved);
      setDraftAhead(true);
    },
  });

  const ports = useDynamicPorts(graph.nodes, types, (id, outputs) =>
    setGraph((g) => ({
      ...g,
      nodes: g.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, outputs } } : n)),
    })),
  );

  const issuesByNode = useMemo(() => {
    const map = new Map<string, ValidationIssue[]>();
    for (const issue of issues)
      if (issue.nodeId) map.set(issue.nodeId, [...(map.get(issue.nodeId) ?? []), issue]);
    return map;
  }, [issues]);
  const minimapColor = useCallback(
    (node: FlowNode) => (issuesByNode.has(node.id) ? '#dc2626' : '#8b93a7'),
    [issuesByNode],
  );
  const onNodeDragStart = useCallback(() => history.checkpoint(), [history]);
  const credentialScope = useMemo(
    () => ({ workspaceId: workspace.id, role: workspace.role }),
    [workspace.id, workspace.role],
  );
  const info = useMemo<CanvasInfo>(
    () => ({ types, issues: issuesByNode, steps: EMPTY_STEPS }),
    [types, issuesByNode],
  );

  // ---- graph edits -------------------------------------------------------
  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      if (readOnly && changes.some((c) => c.type !== 'select' && c.type !== 'dimensions')) return;
      if (changes.some((c) => c.type === 'remove')) history.checkpoint('delete');
      const update = (g: Graph): Graph => ({ ...g, nodes: applyCanvasNodeChanges(changes, g.nodes) });
      if (changes.some((c) => c.type !== 'select' && c.type !== 'dimensions')) edit(update);
      else setGraph(update);
    },
    [history, readOnly, edit],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      if (readOnly && changes.some((c) => c.type !== 'select')) return;
      if (changes.some((c) => c.type === 'remove')) history.checkpoint('delete');
      const update = (g: Graph): Graph => ({ ...g, edges: applyEdgeChanges(changes, g.edges) });
      if (changes.some((c) => c.type !== 'select')) edit(update);
      else setGraph(update);
    },
    [history, readOnly, edit],
  );
  const isValidConnection = useCallback<IsValidConnection<Edge>>(
    (connection) => {
      const { nodes, edges } = graphRef.current;
      const source = nodes.find((n) => n.id === connection.source);
      const target = nodes.find((n) => n.id === connection.target);
      if (!source || !target || source.id === target.id) return false;
      const fromPort = connection.sourceHandle ?? 'out';
      const toPort = connection.targetHandle ?? 'in';
      if (!source.data.outputs.includes(fromPort) || !target.data.inputs.includes(toPort)) return false;
      if (types.get(target.data.spec.type)?.family === 'trigger') return false;
      if (
        edges.some(
          (e) =>
            e.source === source.id &&
            e.target === target.id &&
            (e.sourceHandle ?? 'out') === fromPort &&
            (e.targetHandle ?? 'in') === toPort,
        )
      )
        return false;
      return !wouldCycle(edges, source.id, target.id);
    },
    [types],
  );
  const onConnect = useCallback(
    (connection: Connection) => {
      history.checkpoint();
      const spec = {
        from: connection.source,
        fromPort: connection.sourceHandle ?? 'out',
        to: connection.target,
        toPort: connection.targetHandle ?? 'in',
      };
      edit((g) => ({
        ...g,
        edges: [
          ...g.edges,
          {
            id: edgeId(spec),
            source: spec.from,
            target: spec.to,
            sourceHandle: spec.fromPort,
            targetHandle: spec.toPort,
          },
        ],
      }));
    },
    [history, edit],
  );

  const addNode = useCallback(
    (type: string, at?: { x: number; y: number }) => {
      const nodeType = types.get(type);
      if (!nodeType || readOnly) return;
      history.checkpoint();
      const g = graphRef.current;
      const id = newNodeId(nodeType.title, new Set(g.nodes.map((n) => n.id)));
      let position = at;
      if (!position) {
        const anchor = g.nodes.find((n) => n.selected) ?? g.nodes.at(-1);
        if (anchor) position = { x: anchor.position.x + 280, y: anchor.position.y };
        else {
          const box = wrapper.current?.getBoundingClientRect();
          position = box
            ? flow.screenToFlowPosition({
                x: box.left + box.width / 2 - 100,
                y: box.top + box.height / 2 - 30,
              })
            : { x: 0, y: 0 };
        }
      }
      const spec: NodeData['spec'] = { type, config: defaultConfig(nodeType.configSchema) };
      const node: FlowNode = {
        id,
        type: 'revflow',
        position,
        selected: true,
        data: { spec, ...portsOf(spec, nodeType) },
      };
      edit({ ...g, nodes: [...g.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node] });
    },
    [types, readOnly, history, flow, edit],
  );

  const addPaletteNode = useCallback((type: string) => addNode(type), [addNode]);

  const updateSpec = useCallback(
    (id: string, spec: NodeData['spec']) => {
      history.checkpoint(`spec:${id}`);
      edit((g) => ({
        ...g,
        nodes: g.nodes.map((n) =>
          n.id === id ? { ...n, data: { spec, ...portsOf(spec, types.get(spec.type), ports.get(id)) } } : n,
        ),
      }));
    },
    [history, types, ports, edit],
  );

  const deleteSelection = useCallback(() => {
    const g = graphRef.current;
    const gone = new Set(g.nodes.filter((n) => n.selected).map((n) => n.id));
    if (gone.size === 0 && !g.edges.some((e) => e.selected)) return;
    history.checkpoint();
    edit({
      ...g,
      nodes: g.nodes.filter((n) => !gone.has(n.id)),
      edges: g.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target)),
    });
  }, [history, edit]);

  const layout = useCallback(() => {
    history.checkpoint();
    edit((g) => ({ ...g, nodes: autoLayout(g.nodes, g.edges) }));
    requestAnimationFrame(() => void flow.fitView({ duration: 200, maxZoom: 1.2 }));
  }, [history, flow, edit]);

  const paste = useCallback(() => {
    const copied = clipboard.current;
    if (!copied || readOnly) return;
    history.checkpoint();
    const g = graphRef.current;
    const taken = new Set(g.nodes.map((n) => n.id));
    const renamed = new Map<string, string>();
    const nodes = copied.nodes.map((node) => {
      const id = newNodeId(types.get(node.data.spec.type)?.title ?? node.data.spec.type, taken);
      taken.add(id);
      renamed.set(node.id, id);
      return {
        ...node,
        id,
        selected: true,
        position: { x: node.position.x + 40, y: node.position.y + 40 },
        data: structuredClone(node.data),
      };
    });
    const edges = copied.edges.map((edge) => {
      const spec = {
        from: renamed.get(edge.source)!,
        fromPort: edge.sourceHandle ?? 'out',
        to: renamed.get(edge.target)!,
        toPort: edge.targetHandle ?? 'in',
      };
      return {
        id: edgeId(spec),
        source: spec.from,
        target: spec.to,
        sourceHandle: spec.fromPort,
        targetHandle: spec.toPort,
      };
    });
    edit({
      ...g,
      nodes: [...g.nodes.map((n) => ({ ...n, selected: false })), ...nodes],
      edges: [...g.edges, ...edges],
    });
    clipboard.current = { nodes: nodes.map((n) => ({ ...n, selected: false })), edges: edges };
  }, [history, readOnly, types, edit]);

  // ---- keyboard shortcuts ------------------------------------------------
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const target = event.target as HTMLElement | null;
      if (target && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable)) return;
      const mod = event.metaKey || event.ctrlKey;
      const key = event.key.toLowerCase();
      if (mod && key === 'z' && !event.shiftKey) history.undo();
      else if (mod && (key === 'y' || (key === 'z' && event.shiftKey))) history.redo();
      else if (mod && key === 'c') {
        const g = graphRef.current;
        const ids = new Set(g.nodes.filter((n) => n.selected).map((n) => n.id));
        if (ids.size === 0) return;
        clipboard.current = {
          nodes: g.nodes.filter((n) => ids.has(n.id)),
          edges: g.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
        };
      } else if (mod && key === 'v') paste();
      else if (mod && key === 'a')
        setGraph((g) => ({ ...g, nodes: g.nodes.map((n) => ({ ...n, selected: true })) }));
      else if (mod && key === 's') void autosave.saveNow();
      else if (!mod && key === 'l' && event.shiftKey) layout();
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [history, paste, layout, autosave]);

  // ---- drop from the palette ---------------------------------------------
  const onDrop = (event: DragEvent<HTMLDivElement>): void => {
    const type = event.dataTransfer.getData(DRAG_TYPE);
    if (!type) return;
    event.preventDefault();
    addNode(type, flow.screenToFlowPosition({ x: event.clientX - 90, y: event.clientY - 25 }));
  };

  // ---- publish / run / versions -----------------------------------------
  const base = `${ws(workspace.id)}/workflows/${workflow.id}`;
  const publish = async (note: string): Promise<void> => {
    await autosave.saveNow();
    try {
      const version = await api.post<Version>(`${base}/publish`, note ? { note } : {});
      setDialog(null);
      setDraftAhead(false);
      setSummary((s) => ({
        ...s,
        status: s.status === 'active' ? 'active' : 'published',
        publishedVersionId: version.id,
      }));
      toast.show('success', `Published version ${version.number}`);
    } catch (error) {
      if (error instanceof ApiError && error.problem.issues) {
        setIssues(error.problem.issues);
        setDialog(null);
      }
      toast.error(error);
    }
  };
  const run = async (input: JsonValue): Promise<void> => {
    try {
      const started = await api.post<Run>(`${base}/runs`, { input });
      navigate(`/w/${workspace.id}/runs/${started.id}`);
    } catch (error) {
      toast.error(error);
    }
  };
  const toggleActive = async (): Promise<void> => {
    try {
      const next = await api.post<WorkflowSummary>(
        `${base}/${summary.active ? 'deactivate' : 'activate'}`,
        {},
      );
      setSummary(next);
      toast.show('success', next.active ? 'Active: triggers now start runs' : 'Deactivated');
    } catch (error) {
      toast.error(error);
    }
  };
  const restore = (version: Version): void => {
    history.checkpoint();
    const next = toGraph(version.document, types);
    edit({ ...next, nodes: keepMeasurements(next.nodes, graphRef.current.nodes) });
    setDialog(null);
    toast.show('info', `Version ${version.number} loaded into the draft`);
    requestAnimationFrame(() => void flow.fitView({ duration: 200, maxZoom: 1.2 }));
  };

  // Big graphs open at 80 % on their first node and draw only what is on screen: fitting
  // 500 nodes into view would draw all of them, tiny, and make panning slow.
  const large = graph.nodes.length > LARGE;
  const selected = graph.nodes.filter((n) => n.selected);
  const single = selected.length === 1 ? selected[0] : undefined;
  const singleId = single?.id;
  // Stable while a node is dragged (positions change, the panel's inputs do not).
  const suggestions = useMemo(
    () => (singleId ? expressionSuggestions(singleId, graph.edges, sample) : []),
    [singleId, graph.edges, sample],
  );
  const onSingleChange = useCallback(
    (spec: NodeData['spec']) => {
      if (singleId) updateSpec(singleId, spec);
    },
    [singleId, updateSpec],
  );
  const manual = graph.nodes.find((n) => n.data.spec.type === 'trigger.manual');

  return (
    <CanvasContext.Provider value={info}>
      <div className="editor" data-testid="editor">
        <header className="toolbar">
          <Link to={`/w/${workspace.id}/workflows`} className="btn btn--ghost btn--small">
            ← Workflows
          </Link>
          <strong className="toolbar__name" data-testid="editor-title">
            {graph.meta.name}
          </strong>
          <Badge status={summary.status} testId="workflow-status" />
          <span
            className={`save-state save-state--${autosave.state}`}
            data-testid="save-state"
            title={autosave.error ?? ''}
          >
            {
              {
                saved: 'All changes saved',
                pending: 'Unsaved changes',
                saving: 'Saving…',
                error: 'Not saved',
              }[autosave.state]
            }
          </span>
          <span
            className={`issue-count${issues.length ? ' issue-count--bad' : ''}`}
            data-testid="issue-count"
          >
            {issues.length === 0 ? '✓ Valid' : `${issues.length} problem${issues.length === 1 ? '' : 's'}`}
          </span>
          <div className="toolbar__spacer" />
          <button
            className="btn btn--ghost btn--small"
            onClick={history.undo}
            title="Undo (Ctrl+Z)"
            data-testid="undo"
          >
            ↶
          </button>
          <button
            className="btn btn--ghost btn--small"
            onClick={history.redo}
            title="Redo (Ctrl+Shift+Z)"
            data-testid="redo"
          >
            ↷
          </button>
          <button
            className="btn btn--ghost btn--small"
            onClick={layout}
            title="Auto-layout (Shift+L)"
            data-testid="auto-layout"
          >
            Auto-layout
          </button>
          <button
            className="btn btn--small"
            onClick={() => setDialog('versions')}
            data-testid="open-versions"
          >
            History
          </button>
          {summary.publishedVersionId && !readOnly && (
            <button
              className="btn btn--small"
              onClick={() => void toggleActive()}
              data-testid="toggle-active"
            >
              {summary.active ? 'Deactivate' : 'Activate'}
            </button>
          )}
          {!readOnly && (
            <button className="btn btn--small" onClick={() => setDialog('publish')} data-testid="publish">
              Publish
            </button>
          )}
          {!readOnly && (
            <button
              className="btn btn--primary btn--small"
              disabled={!summary.publishedVersionId}
              onClick={() => setDialog('run')}
              data-testid="run"
              title={summary.publishedVersionId ? 'Run now' : 'Publish first'}
            >
              ▶ Run
            </button>
          )}
        </header>
        <div className="editor__body">
          {!readOnly && <Palette types={types} onAdd={addPaletteNode} />}
          <div
            className={`canvas${large ? ' canvas--large' : ''}`}
            ref={wrapper}
            onDragOver={(e) => e.preventDefault()}
            onDrop={onDrop}
            data-testid="canvas"
          >
            <ReactFlow<FlowNode, Edge>
              nodes={graph.nodes}
              edges={graph.edges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              isValidConnection={isValidConnection}
              onNodeDragStart={onNodeDragStart}
              deleteKeyCode={readOnly ? null : DELETE_KEYS}
              multiSelectionKeyCode={MULTI_SELECT_KEYS}
              nodesConnectable={!readOnly}
              {...(large
                ? { defaultViewport: startViewport(graph.nodes) }
                : { fitView: true, fitViewOptions: FIT_VIEW })}
              minZoom={0.1}
              defaultEdgeOptions={EDGE_OPTIONS}
              proOptions={PRO}
              onlyRenderVisibleElements={large}
            >
              <Background gap={20} />
              {minimap && <MiniMap pannable zoomable nodeColor={minimapColor} />}
              <Controls />
            </ReactFlow>
            {graph.nodes.length === 0 && (
              <div className="canvas__hint" data-testid="canvas-empty">
                Start with a trigger: click or drag one from the palette.
              </div>
            )}
          </div>
          {single ? (
            <ExpressionContext.Provider value={suggestions}>
              <CredentialScope.Provider value={credentialScope}>
                <NodePanel
                  key={single.id}
                  id={single.id}
                  spec={single.data.spec}
                  type={types.get(single.data.spec.type)}
                  issues={issuesByNode.get(single.id) ?? NO_ISSUES}
                  onChange={onSingleChange}
                  onDelete={deleteSelection}
                />
              </CredentialScope.Provider>
            </ExpressionContext.Provider>
          ) : (
            <WorkflowPanel
              meta={graph.meta}
              issues={issues}
              onChange={(meta) => {
                history.checkpoint('meta');
                edit((g) => ({ ...g, meta }));
              }}
              onSelectNode={(id) =>
                setGraph((g) => ({ ...g, nodes: g.nodes.map((n) => ({ ...n, selected: n.id === id })) }))
              }
            />
          )}
        </div>
        {dialog === 'publish' && <PublishModal onClose={() => setDialog(null)} onPublish={publish} />}
        {dialog === 'run' && (
          <RunModal
            sample={manual?.data.spec.config.sampleInput}
            draftAhead={draftAhead}
            onClose={() => setDialog(null)}
            onRun={run}
          />
        )}
        {dialog === 'versions' && (
          <VersionsModal
            workspaceId={workspace.id}
            workflowId={workflow.id}
            current={toDocument(graph)}
            onClose={() => setDialog(null)}
            onRestore={restore}
          />
        )}
      </div>
    </CanvasContext.Provider>
  );
}
