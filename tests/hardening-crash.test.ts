/**
 * Crash safety in queue mode (issue 7): the API side in this process, two real worker
 * processes (`api/main.ts --worker`) on a real Redis and Postgres, 200 runs in flight of a
 * workflow with pure steps, a wait, a slow step and `email.send` to a real SMTP server on
 * 127.0.0.1. A worker is SIGKILLed twice during the burst, each time replaced. Every run must
 * end exactly once and the SMTP server must receive every email exactly once.
 *
 * Exactly once at the server needs more than the engine's "an interrupted side effect is re-run
 * at most once, with the same key": a worker that dies after the server took the message but
 * before the step's result was committed would send it again. The mailer marks a message sent
 * (mail_deliveries) right before the end of its DATA; the last two tests aim at that moment.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorkspace } from '../api/workspaces/repository.js';
import { PgMailDeliveryLog } from '../api/mail/deliveries.js';
import { createMailer } from '../api/mail/mailer.js';
import type { RuntimeBundle } from '../api/runtime-factory.js';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { finishedRunStatuses, type RunRecord } from '../engine/store.js';
import { validateWorkflow } from '../engine/validate.js';
import { messageIdFor } from '../nodes/email/send.js';
import { createNodeRegistry } from '../nodes/index.js';
import { nodeTypes } from './fixtures/worker-test-kit.js';
import { startQueueApi } from './helpers/queue-api.js';
import { startWorker, type WorkerEnv, type WorkerProcess } from './helpers/worker-processes.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';
import './setup/redis.js';

const RUNS = 200;

/** A real SMTP server that keeps the Message-ID of every message it accepted. */
class SmtpSink {
  /** Message-IDs in the order the messages were accepted, duplicates included. */
  readonly accepted: string[] = [];
  /** Called once a message is accepted, before the server answers 250. */
  onAccept: ((messageId: string) => Promise<void>) | undefined;
  port = 0;
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream: SMTPServerDataStream, _session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const head =
          Buffer.concat(chunks)
            .toString('utf8')
            .split(/\r?\n\r?\n/)[0] ?? '';
        const line = head
          .replace(/\r?\n[ \t]+/g, ' ')
          .split(/\r?\n/)
          .find((candidate) => /^message-id:/i.test(candidate));
        // Accepted once the whole message is here, like a real MTA: it is delivered even if the
        // sender dies before it reads the 250.
        const messageId = line ? line.slice(line.indexOf(':') + 1).trim() : '';
        this.accepted.push(messageId);
        const answer = (): void => callback();
        if (this.onAccept) this.onAccept(messageId).then(answer, answer);
        else answer();
      });
    },
  });

  async start(): Promise<void> {
    // Senders die mid-transaction here on purpose: their dropped connections are no test failure.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  countsById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const id of this.accepted) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  }
}

const document: WorkflowDocumentInput = {
  schemaVersion: 1,
  name: 'Crash burst',
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    {
      id: 'shape',
      type: 'data.set',
      config: { fields: [{ name: 'to', value: '{{ "customer" + input.index + "@example.com" }}' }] },
    },
    {
      id: 'score',
      type: 'code.javascript',
      config: { source: 'return { ...input, score: input.index * 2 }' },
    },
    { id: 'pause', type: 'flow.delay', config: { ms: 300 } },
    { id: 'work', type: 'test.slow', config: { ms: 200 } },
    {
      id: 'email',
      type: 'email.send',
      config: {
        from: 'revflow@example.com',
        to: '{{ input.to }}',
        subject: '{{ "Your score: " + input.score }}',
        text: 'Thanks for trying Revflow.',
      },
    },
    {
      id: 'done',
      type: 'code.javascript',
      config: { source: 'return { sent: input.messageId, to: input.accepted }' },
    },
  ],
  edges: [
    { from: 'start', to: 'shape' },
    { from: 'shape', to: 'score' },
    { from: 'score', to: 'pause' },
    { from: 'pause', to: 'work' },
    { from: 'work', to: 'email' },
    { from: 'email', to: 'done' },
  ],
};

let db: TestDatabase;
let api: RuntimeBundle;
let sink: SmtpSink;
let workerEnv: WorkerEnv;
const workers: WorkerProcess[] = [];
const runEnds = new Map<string, string[]>();

beforeAll(async () => {
  sink = new SmtpSink();
  await sink.start();
  db = await freshDatabase({ poolMax: 12 });
  const queueName = `rf-crash-${randomBytes(5).toString('hex')}`;
  const redisUrl = inject('redisUrl');
  // Short failure detection (README: REVFLOW_STALE_EXECUTOR_MS, REVFLOW_QUEUE_LOCK_MS).
  api = await startQueueApi(db, { redisUrl, queueName, runtime: { staleAfterMs: 2_000 } });
  api.runtime.subscribe((event) => {
    if (event.type !== 'run' || !finishedRunStatuses.has(event.run.status)) return;
    runEnds.set(event.runId, [...(runEnds.get(event.runId) ?? []), event.run.status]);
  });
  workerEnv = {
    databaseUrl: db.url,
    redisUrl,
    queueName,
    env: {
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      REVFLOW_STALE_EXECUTOR_MS: '2000',
      REVFLOW_QUEUE_LOCK_MS: '3000',
      REVFLOW_WORKER_CONCURRENCY: '6',
    },
  };
  workers.push(...(await Promise.all([startWorker(workerEnv), startWorker(workerEnv)])));
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await api?.close();
  await db?.drop();
  await sink?.close();
});

async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function heldBy(workflowId: string, executorId: string): Promise<string[]> {
  const rows = await db
    .knex('runs')
    .where({ workflow_id: workflowId, executor_id: executorId, status: 'running' })
    .select<Array<{ id: string }>>('id');
  return rows.map((row) => row.id);
}

/** SIGKILL the worker among `candidates` holding the most runs right now, and start its replacement. */
async function killBusiest(
  workflowId: string,
  candidates: WorkerProcess[],
): Promise<{ victim: WorkerProcess; held: string[]; replacement: Promise<WorkerProcess> }> {
  const holdings = await Promise.all(candidates.map((worker) => heldBy(workflowId, worker.executorId)));
  const index = holdings.reduce((best, held, i) => (held.length > holdings[best]!.length ? i : best), 0);
  const victim = candidates[index]!;
  victim.kill('SIGKILL');
  await victim.exited;
  // What it held when it died (it can commit nothing more now).
  const held = await heldBy(workflowId, victim.executorId);
  const replacement = startWorker(workerEnv);
  void replacement.then((worker) => workers.push(worker));
  return { victim, held, replacement };
}

describe('crash safety in queue mode', () => {
  it('ends every run once and delivers every email once while workers are SIGKILLed', async () => {
    const registry = createNodeRegistry(nodeTypes);
    const validated = validateWorkflow(document, registry);
    if (!validated.ok) throw new Error(validated.issues.map((issue) => issue.message).join('; '));
    // A plan whose email quota (issue 6 metering) holds the burst.
    const workspaceId = (await createWorkspace(db.knex, { name: 'Crash workspace', plan: 'professional' }))
      .id;
    const workflow = await db.workflows.createWorkflow(workspaceId, validated.document);
    const versionId = (await db.workflows.publish(workflow.id)).id;
    const runs: RunRecord[] = await Promise.all(
      Array.from({ length: RUNS }, (_, index) =>
        api.runtime.startRun({ workspaceId, workflowId: workflow.id, versionId, input: { index } }),
      ),
    );
    const [first, second] = workers as [WorkerProcess, WorkerProcess];

    await until(() => sink.accepted.length >= RUNS * 0.15, 60_000, 'the first emails');
    const kill1 = await killBusiest(workflow.id, [first, second]);
    const survivor = kill1.victim === first ? second : first;
    await until(() => sink.accepted.length >= RUNS * 0.5, 60_000, 'half of the emails');
    const kill2 = await killBusiest(workflow.id, [survivor]);
    // The first replacement finishes what is left; the second joins when it is up.
    await kill1.replacement;

    const finished = await Promise.all(
      runs.map((run) => api.runtime.waitForRun(run.id, { timeoutMs: 60_000 })),
    );
    await kill2.replacement;
    const logs = (): string => workers.flatMap((worker) => worker.logs.slice(-20)).join('\n');

    // The kills hit runs in flight, and other executors took them over and finished them. (A run
    // whose last commit was on its way to Postgres when its worker died may end as the victim's.)
    const victims = new Set([kill1.victim.executorId, kill2.victim.executorId]);
    const held = [...kill1.held, ...kill2.held];
    const takenOver = finished.filter((run) => held.includes(run.id) && !victims.has(run.executorId ?? ''));
    expect.soft(takenOver.length, 'runs of the killed workers finished elsewhere').toBeGreaterThan(0);

    // Every run ended, successfully, and its end was announced once.
    expect
      .soft(
        finished.filter((run) => run.status !== 'succeeded').map((run) => [run.id, run.error]),
        logs(),
      )
      .toEqual([]);
    const rows = await db
      .knex('runs')
      .where({ workflow_id: workflow.id })
      .select<Array<{ status: string }>>('status');
    expect(rows).toHaveLength(RUNS);
    expect(rows.filter((row) => row.status !== 'succeeded')).toEqual([]);
    // Announced at most once: a second end would mean two executors ran it to the end. (An end
    // can go unannounced: a worker killed right after its last commit; the database has it.)
    const announcedTwice = runs.filter((run) => (runEnds.get(run.id)?.length ?? 0) > 1);
    expect.soft(announcedTwice.map((run) => [run.id, runEnds.get(run.id)])).toEqual([]);

    // Every email reached the SMTP server exactly once, with the Message-ID of its step.
    const counts = sink.countsById();
    const duplicates = [...counts].filter(([, count]) => count > 1);
    const interrupted = await db
      .knex('steps')
      .whereIn(
        'run_id',
        runs.map((run) => run.id),
      )
      .where({ node_id: 'email' })
      .where('interruptions', '>', 0)
      .select<Array<{ run_id: string; interruptions: number }>>('run_id', 'interruptions');
    expect
      .soft(
        duplicates,
        `Message-IDs accepted more than once; interrupted email steps: ${JSON.stringify(interrupted)}`,
      )
      .toEqual([]);
    // Exactly once, but for the one window SMTP leaves (api/mail/mailer.ts): a worker killed after
    // committing the "committing" mark and before the end of DATA reached the server. That email
    // is lost rather than sent twice; it must show as exactly that: an interrupted step, a mark
    // never confirmed.
    const committing = new Set(
      (
        await db
          .knex('mail_deliveries')
          .where({ state: 'committing' })
          .select<Array<{ message_id: string }>>('message_id')
      ).map((row) => row.message_id),
    );
    const interruptedRuns = new Set(interrupted.map((row) => row.run_id));
    let lostInTheWindow = 0;
    for (const run of runs) {
      const id = messageIdFor(`${run.id}:email`);
      if (counts.get(id) === undefined && interruptedRuns.has(run.id) && committing.has(id)) {
        lostInTheWindow += 1;
        continue;
      }
      expect.soft(counts.get(id), run.id).toBe(1);
    }
    expect.soft(lostInTheWindow, 'emails lost in the kill-before-end-of-DATA window').toBeLessThanOrEqual(2);
    expect.soft(sink.accepted).toHaveLength(RUNS - lostInTheWindow);
    // Each run's last step saw its own send.
    const done = await db
      .knex('steps')
      .whereIn(
        'run_id',
        runs.map((run) => run.id),
      )
      .where({ node_id: 'done', status: 'succeeded' })
      .select<Array<{ run_id: string; output: { sent: string } }>>('run_id', 'output');
    expect(done).toHaveLength(RUNS);
    for (const row of done) expect(row.output.sent).toBe(messageIdFor(`${row.run_id}:email`));
  }, 150_000);

  it('does not send an email twice when its worker dies after the SMTP server accepted it', async () => {
    const registry = createNodeRegistry(nodeTypes);
    const validated = validateWorkflow(
      {
        schemaVersion: 1,
        name: 'One email',
        nodes: [
          { id: 'start', type: 'trigger.manual', config: {} },
          {
            id: 'email',
            type: 'email.send',
            config: {
              from: 'revflow@example.com',
              to: 'ada@example.com',
              subject: 'Once',
              text: 'only once',
            },
          },
        ],
        edges: [{ from: 'start', to: 'email' }],
      },
      registry,
    );
    if (!validated.ok) throw new Error(validated.issues.map((issue) => issue.message).join('; '));
    const workspaceId = (await createWorkspace(db.knex, { name: 'Last-moment crash', plan: 'professional' }))
      .id;
    const workflow = await db.workflows.createWorkflow(workspaceId, validated.document);
    const versionId = (await db.workflows.publish(workflow.id)).id;
    const live = workers.filter((worker) => worker.isAlive());
    expect(live.length).toBeGreaterThanOrEqual(2);

    // The worst moment: the server has the whole message and accepts it, and the worker that
    // sent it dies before it reads the 250 (so it never learns, and never commits, the result).
    let killed: WorkerProcess | undefined;
    sink.onAccept = async (messageId) => {
      if (killed) return;
      const runId = /^<([0-9a-f-]{36})\./.exec(messageId)?.[1];
      const row = await db
        .knex('runs')
        .where({ id: runId })
        .first<{ executor_id: string } | undefined>('executor_id');
      killed = live.find((worker) => worker.executorId === row?.executor_id);
      killed?.kill('SIGKILL');
      await killed?.exited;
    };
    try {
      const started = await api.runtime.startRun({
        workspaceId,
        workflowId: workflow.id,
        versionId,
        input: {},
      });
      const run = await api.runtime.waitForRun(started.id, { timeoutMs: 60_000 });
      expect(killed, 'the sending worker was killed').toBeDefined();
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.executorId).not.toBe(killed!.executorId);
      expect(sink.countsById().get(messageIdFor(`${started.id}:email`))).toBe(1);
    } finally {
      sink.onAccept = undefined;
    }
  }, 90_000);

  it('sends a message once when two executors race to send it (a run taken over from a live worker)', async () => {
    const workspaceId = (await createWorkspace(db.knex, { name: 'Racing senders' })).id;
    const mailer = (): ReturnType<typeof createMailer> =>
      createMailer({
        credentials: { resolve: () => Promise.reject(new Error('no credentials here')) },
        smtpUrl: `smtp://127.0.0.1:${sink.port}`,
        deliveries: new PgMailDeliveryLog(db.knex),
      });
    const messageId = messageIdFor(`${randomUUID()}:email`);
    const message = {
      from: 'revflow@example.com',
      to: ['ada@example.com'],
      cc: [],
      bcc: [],
      subject: 'Raced',
      text: 'once',
      messageId,
      headers: {},
    };
    const results = await Promise.all([0, 1, 2].map(() => mailer().send(workspaceId, undefined, message)));
    for (const result of results) expect(result).toMatchObject({ messageId, accepted: ['ada@example.com'] });
    expect(sink.countsById().get(messageId)).toBe(1);
    // And once more later, as a re-run after a crash would: nothing is sent.
    await mailer().send(workspaceId, undefined, message);
    expect(sink.countsById().get(messageId)).toBe(1);
  });
});
