import type { StartRunRequest } from '../../engine/engine.js';
import type { Runtime } from '../../engine/runtime.js';

/**
 * Start a run under a derived id (`request.id`). When the insert fails because the run exists
 * already (an earlier delivery of the same cause started it), start nothing and say so. Asking
 * the store instead of reading a driver error code keeps this storage-agnostic (as fireTick).
 */
export async function startRunOnce(
  runtime: Runtime,
  request: Omit<StartRunRequest, 'claim'> & { id: string },
): Promise<{ runId: string; started: boolean }> {
  try {
    await runtime.startRun(request);
    return { runId: request.id, started: true };
  } catch (error) {
    if (await runtime.engine.store.getRun(request.id).catch(() => undefined)) {
      return { runId: request.id, started: false };
    }
    throw error;
  }
}
