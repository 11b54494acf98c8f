/**
 * The CLI loads one command module by name (commands/lazy.ts) instead of the whole registry: the
 * two lists must name the same commands and give the very same objects, or a command would be
 * missing from the CLI or behave differently there than in Slack.
 */
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import { LAZY_COMMAND_NAMES, loadCommand } from '../../commands/lazy.js';

describe('commands loaded one by one', () => {
  it('cover the registry (help comes from it) and give the same command objects', async () => {
    expect([...LAZY_COMMAND_NAMES, 'help'].sort()).toEqual(commands.map((c) => c.name).sort());
    for (const command of commands) expect(await loadCommand(command.name), command.name).toBe(command);
  });

  it('know no other name', async () => {
    expect(await loadCommand('no-such-command')).toBeUndefined();
    expect(await loadCommand('toString')).toBeUndefined();
  });
});
