import type { Logger } from 'pino';
import { deliverPending } from '../feedback/shipping.js';
import { feedbackSettings } from '../feedback/settings.js';
import type { ApiContext } from '../http/context.js';
import { publishDue } from './publish.js';

/**
 * The API process's timer for the release center: scheduled notes publish themselves at their
 * time, and "your idea shipped" emails that failed are retried. One round at a time; `stop`
 * clears the timer and waits for a round in progress (a clean stop before the pool closes).
 */
export function startReleaseSweeper(ctx: Pick<ApiContext, 'knex' | 'logger' | 'publicUrl'>): {
  stop: () => Promise<void>;
} {
  const logger: Logger = ctx.logger;
  const every = feedbackSettings().REVFLOW_RELEASES_SWEEP_MS;
  let round: Promise<void> | undefined;
  let stopped = false;
  const tick = (): void => {
    if (round || stopped) return;
    round = (async () => {
      await publishDue(ctx.knex, { publicUrl: ctx.publicUrl });
      await deliverPending(ctx.knex, ctx.publicUrl);
    })()
      .catch((error: unknown) => {
        if (!stopped) logger.warn({ err: error }, 'release sweep failed');
      })
      .finally(() => {
        round = undefined;
      });
  };
  const timer = setInterval(tick, every);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await round;
    },
  };
}
