import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApprovalStore } from '../api/approvals/store.js';
import { createWorkspace } from '../api/workspaces/repository.js';
import type { RuntimeBundle } from '../api/runtime-factory.js';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { validateWorkflow } from '../engine/validate.js';
import { APPROVAL_SIGNAL } from '../nodes/flow/approval.js';
import { createNodeRegistry } from '../nodes/index.js';
import { nodeTypes } from './fixtures/worker-test-kit.js';
import { startQueueApi } from './helpers/queue-api.js';
import { startWorker, type WorkerProcess } from './helpers/worker-processes.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';
import './setup/redis.js';

/**
 * Signal waits in queue mode: the API process (here, in the test process) executes nothing, a
 * real worker process executes the runs, and a decision taken through the API side resumes the
 * waiting run through BullMQ — the same dispatcher new runs travel through.
 */

const registry = createNodeRegistry(nodeTypes);
let db: TestDatabase;
let api: RuntimeBundle;
let worker: WorkerProcess | undefined;
let workspaceId: string;

beforeAll(async () => {
  db = await freshDatabase({ poolMax: 8 });
  workspaceId = (await createWorkspace(db.knex, { name: 'Queue waits' })).id;
  const queueName = `rf-waits-${randomBytes(5).toString('hex')}`;
  const redisUrl = inject('redisUrl');
  api = await startQueueApi(db, { redisUrl, queueName });
  worker = await startWorker({ databaseUrl: db.url, redisUrl, queueName });
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await db?.drop();
});

async function publish(document: WorkflowDocumentInput): Promise<{ workflowId: string; versionId: string }> {
  const result = validateWorkflow(document, registry);
  if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('; '));
  const workflow = await db.workflows.createWorkflow(workspaceId, result.document);
  const version = await db.workflows.publish(workflow.id);
  return { workflowId: workflow.id, versionId: version.id };
}

describe('queue mode', () => {
  it('resumes an approval decided on the API side on a worker', async () => {
    const workflow = await publish({
      schemaVersion: 1,
      name: 'Approve in queue mode',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'ask', type: 'flow.approval', config: { title: 'Ship it?' } },
        { id: 'done', type: 'code.javascript', config: { source: 'return { shipped: input.status }' } },
      ],
      edges: [
        { from: 'start', to: 'ask' },
        { from: 'ask', fromPort: 'approved', to: 'done' },
      ],
    });
    const run = await api.runtime.startRun({ workspaceId, ...workflow, input: {} });
    const waiting = await api.runtime.waitForRun(run.id, { orWaiting: true, timeoutMs: 20_000 });
    expect(waiting.status, JSON.stringify(waiting.error)).toBe('waiting');
    const row = await db.knex('runs').where({ id: run.id }).first();
    expect(row).toMatchObject({ status: 'waiting', executor_id: null });
    expect(api.runtime.executes).toBe(false);

    // What POST .../approvals/:id/approve does: record the decision, then signal.
    const store = new ApprovalStore(db.knex);
    const [approval] = await store.list(workspaceId, { status: 'pending', limit: 10 });
    expect(approval).toMatchObject({ runId: run.id, title: 'Ship it?' });
    const decided = await store.decide(workspaceId, approval!.id, {
      status: 'approved',
      userId: null,
      email: null,
      apiKeyId: null,
      comment: 'go',
    });
    expect(decided.ok).toBe(true);
    const delivered = await api.runtime.signal(workspaceId, APPROVAL_SIGNAL, approval!.id, {
      status: 'approved',
    });
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.wake).toBe(true);

    const done = await api.runtime.waitForRun(run.id, { timeoutMs: 20_000 });
    expect(done.status, JSON.stringify(done.error) + worker!.logs.slice(-5).join('\n')).toBe('succeeded');
    const steps = await db.store.getSteps(run.id);
    expect(steps.find((step) => step.nodeId === 'ask')!.ports).toEqual(['approved']);
    expect(steps.find((step) => step.nodeId === 'done')!.output).toEqual({ shipped: 'approved' });
  });

  it('runs a sub-workflow on the workers and resumes the parent when the child ends', async () => {
    const child = await publish({
      schemaVersion: 1,
      name: 'child',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'work', type: 'code.javascript', config: { source: 'return { tripled: input.n * 3 }' } },
      ],
      edges: [{ from: 'start', to: 'work' }],
    });
    const parent = await publish({
      schemaVersion: 1,
      name: 'parent',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'call', type: 'flow.subWorkflow', config: { workflowId: child.workflowId } },
      ],
      edges: [{ from: 'start', to: 'call' }],
    });
    const run = await api.runtime.startRun({ workspaceId, ...parent, input: { n: 5 } });
    const done = await api.runtime.waitForRun(run.id, { timeoutMs: 20_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output).toMatchObject({ output: { tripled: 15 } });
  });
});
