/**
 * The CLI's way to one command without loading the others. Loading every command module (and
 * what each imports: the SMTP client, the Qualtrics client, the report's aggregation, ...) cost
 * every run about 0.1 s; a CLI run needs one. Everything else (help, Slack, the scheduler) uses
 * the registry in index.ts; test/unit/commands-lazy.test.ts checks that the two agree.
 */
import type { Command } from '../src/command.js';

const MODULES: Readonly<Record<string, () => Promise<Command>>> = {
  'validate-participants': async () => (await import('./validate-participants.js')).validateParticipants,
  'send-daily': async () => (await import('./send-daily.js')).sendDaily,
  'sync-participants': async () => (await import('./sync-participants.js')).syncParticipantsCommand,
  'smtp-check': async () => (await import('./smtp-check.js')).smtpCheck,
  status: async () => (await import('./status.js')).status,
  report: async () => (await import('./report.js')).report,
  'check-bounces': async () => (await import('./check-bounces.js')).checkBouncesCommand,
  suppression: async () => (await import('./suppression.js')).suppressionCommand,
  backup: async () => (await import('./backup.js')).backup,
  'create-fixture': async () => (await import('./create-fixture.js')).createFixture,
};

/** The command called `name`, loading only its own module where it can (help needs the registry). */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const load = Object.hasOwn(MODULES, name) ? MODULES[name] : undefined;
  if (load !== undefined) return load();
  return (await import('./index.js')).findCommand(name);
}

/** The names loaded one by one (for the test that keeps this list and the registry in step). */
export const LAZY_COMMAND_NAMES: readonly string[] = Object.keys(MODULES);
