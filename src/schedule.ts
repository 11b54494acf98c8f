/**
 * The scheduler: node-cron jobs in STUDY_TZ that call the same code as the commands. A job never
 * overlaps itself (a slow SMTP check does not pile up), and a failing job is logged, never fatal.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { ConfigError, type ConfigProblem } from './errors.js';
import type { Logger } from './logger.js';

export interface JobSpec {
  name: string;
  /** The variable the expression came from, for error messages. */
  variable: string;
  cron: string;
  run: () => Promise<unknown>;
}

export interface Scheduler {
  next(): { name: string; at: Date | null }[];
  stop(): Promise<void>;
}

export function validateSchedules(jobs: readonly JobSpec[]): void {
  const problems: ConfigProblem[] = jobs
    .filter((job) => !cron.validate(job.cron))
    .map((job) => ({
      variable: job.variable,
      message: `"${job.cron}" is not a valid cron expression; use 5 fields (minute hour day month weekday), e.g. "0 9 * * *".`,
    }));
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * `heartbeat` runs every minute from a task of its own: GET /healthz reports the scheduler
 * stalled when it stops.
 */
export function startScheduler(
  jobs: readonly JobSpec[],
  timeZone: string,
  logger: Logger,
  heartbeat?: () => void,
): Scheduler {
  validateSchedules(jobs);
  const beat = heartbeat === undefined ? undefined : cron.schedule('* * * * *', heartbeat, { name: 'heartbeat' });
  const tasks: { name: string; task: ScheduledTask }[] = jobs.map((job) => ({
    name: job.name,
    task: cron.schedule(
      job.cron,
      async () => {
        const log = logger.child({ job: job.name });
        log.info('scheduled job started');
        try {
          await job.run();
          log.info('scheduled job finished');
        } catch (error) {
          log.error({ error: (error as Error).message, stack: (error as Error).stack }, 'scheduled job failed');
        }
      },
      { timezone: timeZone, noOverlap: true, name: job.name },
    ),
  }));
  return {
    next: () => tasks.map(({ name, task }) => ({ name, at: task.getNextRun() })),
    stop: async () => {
      await Promise.all([...tasks.map(({ task }) => task.destroy()), beat?.destroy()]);
    },
  };
}
