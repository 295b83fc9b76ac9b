import type { WorkflowDocumentInput } from '../../engine/document.js';
import type { Json } from '../../engine/json.js';
import type { NodeServices } from '../../engine/node.js';
import { Runtime, type RuntimeOptions } from '../../engine/runtime.js';
import { IsolateSandbox } from '../../engine/sandbox/isolate-sandbox.js';
import type { RunRecord, StepRecord, StepStatus } from '../../engine/store.js';
import { validateWorkflow } from '../../engine/validate.js';
import { createWorkspace } from '../../api/workspaces/repository.js';
import { createNodeRegistry } from '../../nodes/index.js';
import { SecretBox } from '../../api/crypto/secret-box.js';
import { createNodeServices } from '../../api/services.js';
import { randomBytes } from 'node:crypto';
import { freshDatabase, type TestDatabase } from '../setup/db.js';
import { testNodeTypes } from './test-nodes.js';

export interface Harness {
  db: TestDatabase;
  runtime: Runtime;
  services: NodeServices;
  /** The key the harness's credentials service opens credentials with. */
  secrets: SecretBox;
  workspaceId: string;
  /** Validate, save and publish a document as a new workflow. */
  publish(document: WorkflowDocumentInput): Promise<{ workflowId: string; versionId: string }>;
  start(document: WorkflowDocumentInput, input: Json): Promise<RunRecord>;
  runToEnd(
    document: WorkflowDocumentInput,
    input: Json,
  ): Promise<{ run: RunRecord; steps: Map<string, StepRecord> }>;
  steps(runId: string): Promise<Map<string, StepRecord>>;
  untilStep(runId: string, nodeId: string, status: StepStatus, timeoutMs?: number): Promise<StepRecord>;
  close(): Promise<void>;
}

/** A real engine on a fresh Postgres database and a real sandbox, with the test node types. */
export async function createHarness(options: Partial<RuntimeOptions> = {}): Promise<Harness> {
  const db = await freshDatabase();
  const registry = createNodeRegistry(testNodeTypes);
  const sandbox = new IsolateSandbox();
  const secrets = new SecretBox(randomBytes(32));
  // The real services (credentials, guarded HTTP, SMTP) from the process env; tests override members.
  const services: NodeServices = {
    attemptCounter: new Map(),
    ...createNodeServices({ knex: db.knex, secrets }),
    ...options.services,
  };
  const runtime = new Runtime({
    registry,
    store: db.store,
    sandbox,
    sweepIntervalMs: 200,
    ...options,
    services,
  });
  await runtime.start();
  const seen = new Map<string, StepRecord[]>();
  runtime.engine.subscribe((event) => {
    if (event.type !== 'step') return;
    const key = `${event.runId}:${event.step.nodeId}`;
    seen.set(key, [...(seen.get(key) ?? []), { ...event.step }]);
  });
  const workspace = await createWorkspace(db.knex, { name: 'Harness workspace' });

  const publish: Harness['publish'] = async (document) => {
    const result = validateWorkflow(document, registry);
    if (!result.ok)
      throw new Error(`invalid test document: ${result.issues.map((i) => i.message).join('; ')}`);
    const workflow = await db.workflows.createWorkflow(workspace.id, result.document);
    const version = await db.workflows.publish(workflow.id);
    return { workflowId: workflow.id, versionId: version.id };
  };

  const steps: Harness['steps'] = async (runId) =>
    new Map((await db.store.getSteps(runId)).map((step) => [step.nodeId, step]));

  const start: Harness['start'] = async (document, input) => {
    const { workflowId, versionId } = await publish(document);
    return runtime.startRun({ workspaceId: workspace.id, workflowId, versionId, input });
  };

  return {
    db,
    runtime,
    services,
    secrets,
    workspaceId: workspace.id,
    publish,
    start,
    steps,
    async runToEnd(document, input) {
      const started = await start(document, input);
      const run = await runtime.waitForRun(started.id, { timeoutMs: 20_000 });
      return { run, steps: await steps(run.id) };
    },
    untilStep(runId, nodeId, status, timeoutMs = 10_000) {
      // Live step events: a pure step's start is announced, not committed.
      const key = `${runId}:${nodeId}`;
      const earlier = seen.get(key)?.find((step) => step.status === status);
      if (earlier) return Promise.resolve(earlier);
      return new Promise<StepRecord>((resolve, reject) => {
        const timer = setTimeout(() => {
          unsubscribe();
          reject(new Error(`step ${nodeId} of run ${runId} never became ${status}`));
        }, timeoutMs);
        const unsubscribe = runtime.engine.subscribe((event) => {
          if (
            event.type === 'step' &&
            event.runId === runId &&
            event.step.nodeId === nodeId &&
            event.step.status === status
          ) {
            clearTimeout(timer);
            unsubscribe();
            resolve({ ...event.step });
          }
        });
      });
    },
    async close() {
      await runtime.stop();
      sandbox.dispose();
      await db.drop();
    },
  };
}
