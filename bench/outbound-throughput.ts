/**
 * Sending throughput of Adaptive Outbound in queue mode (issue 13): N enrolled leads (default
 * 10,000) through a three-step sequence (send → wait → follow-up → wait → last email) with the
 * waits compressed to milliseconds. One process plays both roles: an API-role runtime dispatches
 * every run through BullMQ on a throwaway redis-server, a worker-role runtime executes them;
 * emails go to a real SMTP sink on 127.0.0.1. Reports sends/s and checks that no lead got the
 * same step twice (by Message-ID at the SMTP server and by the sends table).
 * `npm run bench -- outbound-throughput` (REVFLOW_BENCH_OUTBOUND_LEADS to change N). On 2 shared cores 1,000 leads
 * take about 3 minutes; 10,000 take far longer, because every email's `emails` meter reservation recomputes the
 * period's usage totals under a per-workspace lock (api/billing/usage.ts), so one workspace's sends serialise.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { billingFor } from '../api/billing/hub.js';
import { loadConfig } from '../api/config.js';
import { SecretBox } from '../api/crypto/secret-box.js';
import { openDatabase } from '../api/db/database.js';
import { WorkflowRepository } from '../api/db/workflow-repository.js';
import { createRuntime } from '../api/runtime-factory.js';
import { createNodeServices, type ServiceEnv } from '../api/services.js';
import { createWorkspace } from '../api/workspaces/repository.js';
import { outboundSequenceTemplate } from '../canvas/templates/outbound.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { startRedisServer } from '../tests/setup/redis.js';
import type { Figure } from './stats.js';

export async function benchOutboundThroughput(): Promise<Figure[]> {
  const total = Number(process.env.REVFLOW_BENCH_OUTBOUND_LEADS ?? 10_000);
  const messageIds = new Map<string, number>();
  const sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream: SMTPServerDataStream, _session, callback) => {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 4096) head += chunk.toString('utf8');
      });
      stream.on('end', () => {
        const id = /^message-id:\s*(\S+)/im.exec(head)?.[1] ?? '';
        messageIds.set(id, (messageIds.get(id) ?? 0) + 1);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const smtpPort = (sink.server.address() as AddressInfo).port;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'revflow-outbound-'));
  const redis = await startRedisServer();
  const db = await openDatabase({ dataDir });
  const logger = pino({ level: 'silent' });
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, REDIS_URL: redis.url });
  const env = {
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    REVFLOW_OUTBOUND_FROM: 'Bench <bench@revflow.example>',
  } as ServiceEnv;
  const secrets = new SecretBox(randomBytes(32));
  const services = () => createNodeServices({ knex: db.knex, secrets, env });
  const api = createRuntime(config, db.knex, logger, services(), { role: 'api' });
  const worker = createRuntime(config, db.knex, logger, services(), { role: 'worker' });
  await api.start();
  await worker.start();
  try {
    const workspace = await createWorkspace(db.knex, { name: 'outbound bench' });
    await billingFor(db.knex).accounts.setPlan(workspace.id, { planId: 'enterprise' });
    const document = structuredClone(outboundSequenceTemplate.document);
    for (const node of document.nodes) {
      if (node.type === 'outbound.waitForReply') node.config = { ...node.config, timeoutMs: 5 };
      if (node.type === 'outbound.pickVariant') node.config = { ...node.config, minSamples: 5 };
      if (node.id === 'noReply')
        Object.assign(node, {
          type: 'outbound.send',
          config: { content: 'custom', subject: 'Last one', body: 'Closing the loop.' },
        });
    }
    const registry = createNodeRegistry();
    const valid = validateWorkflow(document, registry);
    if (!valid.ok) throw new Error(valid.issues.map((issue) => issue.message).join('; '));
    const workflows = new WorkflowRepository(db.knex);
    const workflow = await workflows.createWorkflow(workspace.id, valid.document);
    const version = await workflows.publish(workflow.id);
    const leads = Array.from({ length: total }, (_, i) => ({
      workspace_id: workspace.id,
      email: `lead${i}@bench.example`,
      name: `Lead ${i}`,
      company: `Company ${i % 97}`,
      timezone: 'Europe/Berlin',
    }));
    const ids: string[] = [];
    for (let i = 0; i < leads.length; i += 1000)
      ids.push(
        ...(
          await db
            .knex('outbound_leads')
            .insert(leads.slice(i, i + 1000))
            .returning('id')
        ).map((row: { id: string }) => row.id),
      );

    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < ids.length) {
          const leadId = ids[next++]!;
          await api.runtime.startRun({
            workspaceId: workspace.id,
            workflowId: workflow.id,
            versionId: version.id,
            input: { leadId },
          });
        }
      }),
    );
    const enqueuedMs = performance.now() - started;
    const deadline = Date.now() + 30 * 60_000;
    let finished = 0;
    while (Date.now() < deadline) {
      const [{ count }] = (await db
        .knex('runs')
        .whereIn('status', ['succeeded', 'failed', 'cancelled', 'timed_out'])
        .count('* as count')) as [{ count: string }];
      finished = Number(count);
      if (finished >= total) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const seconds = (performance.now() - started) / 1000;
    const sends = [...messageIds.values()].reduce((sum, n) => sum + n, 0);
    const doubled = [...messageIds.values()].filter((n) => n > 1).length;
    const { rows } = await db.knex.raw<{ rows: Array<{ n: number }> }>(
      'SELECT count(*)::int AS n FROM (SELECT enrollment_id, step FROM outbound_sends GROUP BY 1, 2 HAVING count(*) > 1) d',
    );
    const failed = Number(
      ((await db.knex('runs').where({ status: 'failed' }).count('* as c')) as [{ c: string }])[0].c,
    );
    return [
      {
        name: `outbound sequence, ${total} leads × 3 steps in queue mode (1 worker process, waits of 5 ms): emails delivered`,
        value: sends,
        unit: 'emails',
        target: `${total * 3}`,
      },
      {
        name: 'outbound sequence: sending throughput (enqueue to last run finished)',
        value: Math.round((sends / seconds) * 10) / 10,
        unit: 'sends/s',
      },
      {
        name: `outbound sequence: runs finished / failed (enqueued in ${(enqueuedMs / 1000).toFixed(1)} s)`,
        value: finished,
        unit: `runs (${failed} failed)`,
      },
      {
        name: 'outbound sequence: a lead sent the same step twice (SMTP Message-IDs seen twice + duplicate send rows)',
        value: doubled + (rows[0]?.n ?? 0),
        unit: 'times',
        target: '0',
      },
    ];
  } finally {
    await worker.close();
    await api.close();
    await db.stop();
    await redis.stop();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  }
}
