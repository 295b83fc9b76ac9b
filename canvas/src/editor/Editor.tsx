// Over 400 lines: the editor's one state owner (graph, history, autosave, selection, test runs);
// views and behaviours live in EditorToolbar, NodePanel, NodeDataTab, TestRunModal, useIssueMaps,
// useShortcuts, useTestRun, useAutosave, useHistory.
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
import { navigate } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { useNarrow } from '../ui/useNarrow.js';
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
import { useIssueMaps } from './useIssueMaps.js';
import { useShortcuts } from './useShortcuts.js';
import { ExpressionContext, expressionSuggestions, runSample } from './expressions.js';
import { EditorToolbar } from './EditorToolbar.js';
import { RunStatusPanel } from './RunStatusPanel.js';
import { NodeDataTab } from './NodeDataTab.js';
import { TestRunModal } from './TestRunModal.js';
import { useTestRun, type TestMode, type TestRequest } from './useTestRun.js';
import { WebhookUrls } from './WebhookUrls.js';
import './editor.css';
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
// Never fit so small that labels cannot be read: a wide graph opens at 60 % and pans.
// Never fit so small that labels cannot be read: a wide graph opens at 60 % and pans.
const FIT_VIEW = { maxZoom: 1.1, minZoom: 0.6, padding: 0.2 };
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
  // Phones get a view mode: the graph and its run status; editing needs a larger screen.
  const viewMode = useNarrow();
  const readOnly = workspace.role === 'viewer' || viewMode;
  const [graph, setGraph] = useState<Graph>(() => {
    const initial = toGraph(workflow.draft, types);
    // Documents made without the canvas (API, import) have no positions: lay them out.
    const placed = workflow.draft.nodes.every((n) => n.position !== undefined);
    return placed ? initial : { ...initial, nodes: autoLayout(initial.nodes, initial.edges) };
  });
  const graphRef = useRef(graph);
  graphRef.current = graph;
  /** Bumped by every change to the document (not by selection or measuring): drives autosave. */
  const [docVersion, setDocVersion] = useState(0);
  const edit = useCallback((update: Graph | ((g: Graph) => Graph)) => {
    setGraph(update);
    setDocVersion((v) => v + 1);
  }, []);
  const [issues, setIssues] = useState<ValidationIssue[]>(workflow.validation.issues);
  const [warnings, setWarnings] = useState<ValidationIssue[]>(workflow.validation.warnings ?? []);
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
  const lastSample = useLastRunSample(workspace.id, workflow.id);
  const testRun = useTestRun(workspace.id, workflow.id);
  // The latest test run's data wins over what the editor found on opening.
  const testSample = useMemo(() => (testRun.run ? runSample(testRun.run) : undefined), [testRun.run]);
  const sample = testSample ?? lastSample;
  const [testDialog, setTestDialog] = useState<{ mode: TestMode; nodeId?: string } | null>(null);
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
      setWarnings(saved.validation.warnings ?? []);
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

  const { issuesByNode, drawnEdges } = useIssueMaps(issues, graph.edges);
  const testSteps = useMemo(
    () => new Map<string, Step>((testRun.run?.steps ?? []).map((step) => [step.nodeId, step])),
    [testRun.run],
  );
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
    () => ({ types, issues: issuesByNode, steps: testSteps.size > 0 ? testSteps : EMPTY_STEPS }),
    [types, issuesByNode, testSteps],
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
  const selectAll = useCallback(
    () => setGraph((g) => ({ ...g, nodes: g.nodes.map((n) => ({ ...n, selected: true })) })),
    [],
  );
  const saveNow = useCallback(() => void autosave.saveNow(), [autosave]);
  useShortcuts({
    graphRef,
    clipboard,
    undo: history.undo,
    redo: history.redo,
    paste,
    selectAll,
    save: saveNow,
    layout,
  });

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
  const startTest = async (request: TestRequest): Promise<void> => {
    await autosave.saveNow();
    try {
      await testRun.start(request);
      setTestDialog(null);
      toast.show('info', 'Test run started: the draft runs, nothing is published');
    } catch (error) {
      if (error instanceof ApiError && error.problem.issues) setIssues(error.problem.issues);
      toast.error(error);
    }
  };
  const setPin = useCallback(
    (nodeId: string, value: JsonValue | undefined) => {
      history.checkpoint(`pin:${nodeId}`);
      edit((g) => {
        const pins = { ...g.meta.pinData };
        if (value === undefined) delete pins[nodeId];
        else pins[nodeId] = value;
        const { pinData: _old, ...rest } = g.meta;
        return { ...g, meta: Object.keys(pins).length > 0 ? { ...rest, pinData: pins } : rest };
      });
    },
    [history, edit],
  );
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
        <EditorToolbar
          workspaceId={workspace.id}
          name={graph.meta.name}
          summary={summary}
          saveState={autosave.state}
          saveError={autosave.error}
          issues={issues}
          warnings={warnings}
          readOnly={readOnly}
          viewMode={viewMode}
          testRun={testRun.run}
          onUndo={history.undo}
          onRedo={history.redo}
          onLayout={layout}
          onVersions={() => setDialog('versions')}
          onToggleActive={() => void toggleActive()}
          onPublish={() => setDialog('publish')}
          onRun={() => setDialog('run')}
          onTestRun={() => setTestDialog({ mode: 'workflow', ...(singleId ? { nodeId: singleId } : {}) })}
        />
        {viewMode && (
          <p className="notice view-mode-note" data-testid="view-mode-note">
            View mode: the graph and its run status. Editing needs a larger screen (at least 760 px wide).
          </p>
        )}
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
              edges={drawnEdges}
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
          {viewMode ? (
            <RunStatusPanel workspaceId={workspace.id} workflowId={workflow.id} testRun={testRun.run} />
          ) : single ? (
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
                  readOnly={readOnly}
                  data={
                    <NodeDataTab
                      key={single.id}
                      nodeId={single.id}
                      sample={sample}
                      pinned={graph.meta.pinData?.[single.id]}
                      vars={graph.meta.settings.vars}
                      readOnly={readOnly}
                      onPin={(value) => setPin(single.id, value)}
                      onTest={(mode) => setTestDialog({ mode, nodeId: single.id })}
                    />
                  }
                  extra={
                    single.data.spec.type === 'trigger.webhook' ? (
                      <WebhookUrls
                        workspace={workspace}
                        workflowId={workflow.id}
                        nodeId={single.id}
                        path={typeof single.data.spec.config.path === 'string' ? single.data.spec.config.path : ''}
                        signed={single.data.spec.config.signed === true}
                      />
                    ) : undefined
                  }
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
        {testDialog && (
          <TestRunModal
            nodeIds={graph.nodes.map((n) => n.id)}
            initialNode={testDialog.nodeId}
            initialMode={testDialog.mode}
            sample={manual?.data.spec.config.sampleInput}
            hasLastRun={sample !== undefined}
            onClose={() => setTestDialog(null)}
            onStart={startTest}
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
