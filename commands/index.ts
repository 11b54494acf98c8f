/** The one registry of commands: the CLI, Slack and the scheduler all look commands up here. */
import type { CommandSpec } from '../src/command.js';
import { createFixture } from './create-fixture.js';
import { help } from './help.js';
import { sendDaily } from './send-daily.js';
import { smtpCheck } from './smtp-check.js';
import { status } from './status.js';
import { syncParticipantsCommand } from './sync-participants.js';
import { validateParticipants } from './validate-participants.js';

// Each entry keeps its own Options type; the registry only needs to route by name.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: readonly CommandSpec<any>[] = [
  validateParticipants,
  sendDaily,
  syncParticipantsCommand,
  smtpCheck,
  status,
  createFixture,
  help,
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function findCommand(name: string): CommandSpec<any> | undefined {
  return commands.find((c) => c.name === name);
}
