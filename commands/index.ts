/** The one registry of commands: the CLI, Slack and the scheduler all look commands up here. */
import type { Command } from '../src/command.js';
import { backup } from './backup.js';
import { checkBouncesCommand } from './check-bounces.js';
import { createFixture } from './create-fixture.js';
import { helpCommand } from './help.js';
import { report } from './report.js';
import { sendDaily } from './send-daily.js';
import { smtpCheck } from './smtp-check.js';
import { status } from './status.js';
import { suppressionCommand } from './suppression.js';
import { syncParticipantsCommand } from './sync-participants.js';
import { validateParticipants } from './validate-participants.js';

export const help = helpCommand(() => commands);

export const commands: readonly Command[] = [
  validateParticipants,
  sendDaily,
  syncParticipantsCommand,
  smtpCheck,
  status,
  report,
  checkBouncesCommand,
  suppressionCommand,
  backup,
  createFixture,
  help,
];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
