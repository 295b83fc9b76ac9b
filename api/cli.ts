/**
 * `npx revflow validate file.json` and `npx revflow run file.json --input '{...}'`, for people
 * who script Revflow and for CI pipelines. Exit codes: 0 ok, 1 invalid or failed, 2 usage.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Json } from '../engine/json.js';
import type { StepRecord } from '../engine/store.js';
import { validateWorkflow, type ValidationIssue } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { WorkflowRepository } from './db/workflow-repository.js';
import { ensureWorkspace } from './workspaces/repository.js';
import { createRuntime } from './runtime-factory.js';
import { createNodeServices } from './services.js';
import { auditVerifyCommand } from './audit/cli.js';

const usage = `Usage:
  revflow validate <workflow.json>
  revflow run <workflow.json> [--input '<json>' | --input-file <file>] [--json] [--timeout <ms>]
  revflow audit-verify [<workspaceId>] [--json]   verify the audit log hash chain (exit 1 if broken)

run records the run in Postgres: DATABASE_URL when set, otherwise an embedded
PostgreSQL under $REVFLOW_DATA_DIR/cli (default .data/cli).`;

class UsageError extends Error {}

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

function describeIssue(issue: ValidationIssue): string {
  const where = issue.nodeId
    ? `node "${issue.nodeId}"${issue.field ? ` ${issue.field}` : ''}`
    : issue.path.join('.') || 'document';
  return `  ✗ ${where}: ${issue.message} [${issue.code}]`;
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

async function validateCommand(file: string): Promise<number> {
  const result = validateWorkflow(await readJson(file), createNodeRegistry());
  if (!result.ok) {
    out(
      `✗ ${path.basename(file)} has ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}:`,
    );
    for (const issue of result.issues) out(describeIssue(issue));
    return 1;
  }
  out(
    `✓ ${path.basename(file)} is valid: ${result.document.nodes.length} nodes, ${result.document.edges.length} edges`,
  );
  return 0;
}

function parseInput(values: { input?: string; 'input-file'?: string }): Promise<Json> | Json {
  if (values['input-file']) return readJson(values['input-file']) as Promise<Json>;
  if (values.input === undefined) return {};
  try {
    return JSON.parse(values.input) as Json;
  } catch (error) {
    throw new UsageError(`--input is not valid JSON: ${(error as Error).message}`);
  }
}

const statusMark: Record<string, string> = {
  succeeded: '✓',
  failed: '✗',
  skipped: '–',
  waiting: '…',
  cancelled: '⊘',
};

function describeStep(step: StepRecord): string {
  const ms =
    step.startedAt && step.finishedAt ? ` ${step.finishedAt.getTime() - step.startedAt.getTime()} ms` : '';
  const attempts = step.attempts > 1 ? ` (${step.attempts} attempts)` : '';
  const head = `${statusMark[step.status] ?? '?'} ${step.nodeId} ${step.status}${ms}${attempts}`;
  if (step.status === 'failed' && step.error) {
    const line = step.error.line ? ` (line ${step.error.line})` : '';
    return `${head}\n    error: ${step.error.message}${line}`;
  }
  if (step.status === 'succeeded') return `${head}\n    output: ${JSON.stringify(step.output)}`;
  return head;
}

async function runCommand(
  file: string,
  values: { input?: string; 'input-file'?: string; json?: boolean; timeout?: string },
): Promise<number> {
  const registry = createNodeRegistry();
  const validation = validateWorkflow(await readJson(file), registry);
  if (!validation.ok) {
    out(`✗ ${path.basename(file)} is not valid:`);
    for (const issue of validation.issues) out(describeIssue(issue));
    return 1;
  }
  const input = await parseInput(values);
  const config = loadConfig();
  const logger = pino({ level: 'warn' });
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: path.join(config.REVFLOW_DATA_DIR, 'cli'),
    logger,
  });
  // Outbound HTTP and SMTP for the nodes; the CLI's own workspace has no credentials to open.
  const bundle = createRuntime(
    config,
    db.knex,
    logger,
    createNodeServices({ knex: db.knex, secrets: undefined }),
  );
  try {
    await bundle.runtime.start();
    const workspace = await ensureWorkspace(db.knex, { slug: 'cli', name: 'Command line' });
    const workflows = new WorkflowRepository(db.knex);
    const workflow = await workflows.createWorkflow(workspace.id, validation.document);
    const version = await workflows.publish(workflow.id, `revflow run ${path.basename(file)}`);
    const started = await bundle.runtime.startRun({
      workspaceId: workspace.id,
      workflowId: workflow.id,
      versionId: version.id,
      input,
    });
    const timeoutMs = values.timeout ? Number(values.timeout) : undefined;
    const run = await bundle.runtime.waitForRun(started.id, { timeoutMs });
    const steps = await bundle.store.getSteps(run.id);
    const order = new Map(validation.document.nodes.map((node, index) => [node.id, index]));
    steps.sort((a, b) => (order.get(a.nodeId) ?? 0) - (order.get(b.nodeId) ?? 0));
    if (values.json) {
      out(JSON.stringify({ run, steps }, null, 2));
    } else {
      out(`Run ${run.id} of "${validation.document.name}" (version ${version.number})`);
      for (const step of steps) out(describeStep(step));
      out(`${statusMark[run.status] ?? '?'} run ${run.status}${run.error ? `: ${run.error.message}` : ''}`);
      if (run.status === 'succeeded') out(`output: ${JSON.stringify(run.output)}`);
    }
    return run.status === 'succeeded' ? 0 : 1;
  } finally {
    await bundle.close();
    await db.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      'input-file': { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, file] = positionals;
  if (values.help || !command) {
    out(usage);
    return values.help ? 0 : 2;
  }
  if (command === 'audit-verify')
    return auditVerifyCommand(file, out, values.json === true, (message) => new UsageError(message));
  if (!file) throw new UsageError(`${command} needs a workflow file`);
  if (command === 'validate') return validateCommand(file);
  if (command === 'run') return runCommand(file, values);
  throw new UsageError(`unknown command "${command}"`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      process.stderr.write(`revflow: ${error.message}\n\n${usage}\n`);
      process.exit(2);
    }
    process.stderr.write(`revflow: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
