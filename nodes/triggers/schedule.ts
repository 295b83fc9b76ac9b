import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { cronProblem, timezoneProblem } from '../../engine/schedule/spec.js';

/** The schedule trigger's config; api/db/schedule-source.ts parses stored documents with it. */
export const scheduleConfigSchema = z
  .object({
    cron: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Cron pattern: 5 fields, or 6 with seconds first (e.g. "0 9 * * 1-5")'),
    timezone: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('IANA time zone of the cron pattern; default UTC'),
    everyMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .optional()
      .describe('Instead of cron: every N minutes, on multiples of N minutes since midnight UTC'),
    missedTickPolicy: z
      .enum(['skip', 'runOnce'])
      .default('skip')
      .describe('skip: missed ticks start nothing; runOnce: one run for the most recent missed tick'),
  })
  .superRefine((config, ctx) => {
    if ((config.cron === undefined) === (config.everyMinutes === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give exactly one of cron and everyMinutes' });
    }
    if (config.cron !== undefined) {
      const problem = cronProblem(config.cron);
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
    }
    if (config.timezone !== undefined) {
      const problem = timezoneProblem(config.timezone);
      if (problem) ctx.addIssue({ code: 'custom', path: ['timezone'], message: problem });
      else if (config.cron === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['timezone'],
          message: 'a time zone applies to a cron pattern only',
        });
      }
    }
  });

export type ScheduleConfig = z.infer<typeof scheduleConfigSchema>;

export const scheduleTrigger = defineNode({
  type: 'trigger.schedule',
  family: 'trigger',
  title: 'Schedule',
  description: 'Starts the run on a schedule: a cron pattern in a time zone, or every N minutes.',
  docs: [
    'The output is { scheduledAt, firedAt, tick }: the tick time and the start time (ISO 8601), and the tick time in epoch milliseconds.',
    'Each tick starts exactly one run, however many workers run: the run id is derived from the workflow, this node and the tick time.',
    'Schedules run while the workflow is active, with its active version.',
    'A tick counts as missed when it could not fire within 60 seconds of its time (the server or every worker was down).',
    'Missed ticks: "skip" (default) starts nothing for them; "runOnce" starts one run, for the most recent missed tick, when the scheduler is back.',
  ].join('\n\n'),
  icon: 'clock',
  config: scheduleConfigSchema,
  run: (_ctx, input) => input,
});
