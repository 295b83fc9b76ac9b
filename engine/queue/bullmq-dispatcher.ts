import { Queue, type JobsOptions } from 'bullmq';
import { countsAsStart, type Dispatcher, type DispatchJob } from '../dispatch.js';
import { connectionOf, prefixOf, RUN_JOB, type QueueTopology, type RunJobData } from './names.js';

/** A job in one of these states will still be executed: a sweep adds no second one. */
const PENDING_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

const JOB_OPTIONS: JobsOptions = {
  // The run's history is in Postgres; a completed job is dropped at once, which also frees its
  // id for a later dispatch of the same run (a recovery after the job completed without work).
  removeOnComplete: true,
  // Failed jobs (the executor threw, e.g. the database was away) are kept a while for inspection.
  removeOnFail: { count: 1_000, age: 7 * 24 * 3600 },
  // A failure is infrastructure (a run's own errors end the run, not the job): try again.
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
};

/**
 * Dispatches runs through BullMQ (queue mode, DESIGN §2). Job data holds ids only. The job id
 * says what the job is for, so the same dispatch twice enqueues one job:
 * - a new run: `<runId>`;
 * - a wait that ends: `<runId>-w<wake time>`, a delayed job;
 * - a run a sweep found unattended: `<runId>` again, unless a job for it is still pending.
 * Which executor may execute is still decided by the engine's atomic claim: a duplicate job
 * completes without executing anything.
 */
export class BullmqDispatcher implements Dispatcher {
  readonly queue: Queue<RunJobData>;

  constructor(topology: QueueTopology) {
    this.queue = new Queue<RunJobData>(topology.queueName, {
      connection: connectionOf(topology),
      prefix: prefixOf(topology),
    });
  }

  async dispatch(job: DispatchJob, options: { delayMs?: number } = {}): Promise<void> {
    const delay = Math.max(0, Math.round(options.delayMs ?? 0));
    const data: RunJobData = { runId: job.runId, workspaceId: job.workspaceId, start: countsAsStart(job) };
    if (job.workflowId !== undefined) data.workflowId = job.workflowId;
    if (job.versionId !== undefined) data.versionId = job.versionId;
    let jobId = job.runId;
    if (job.reason === 'wake' || delay > 0) {
      jobId = `${job.runId}-w${job.wakeAt ?? Date.now() + delay}`;
    } else if (job.reason === 'recover' && !(await this.makeRoom(job.runId))) {
      return;
    }
    await this.queue.add(RUN_JOB, data, { ...JOB_OPTIONS, jobId, delay });
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  /**
   * Whether a recovery job may be added under the run's id: not while one is pending (BullMQ's
   * stalled-job check hands an active job of a dead worker to another worker by itself).
   * A failed job kept under that id is removed first.
   */
  private async makeRoom(runId: string): Promise<boolean> {
    const state = await this.queue.getJobState(runId);
    if (PENDING_STATES.has(state)) return false;
    if (state !== 'unknown') await this.queue.remove(runId).catch(() => 0);
    return true;
  }
}
