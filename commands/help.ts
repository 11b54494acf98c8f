import { defineCommand } from '../src/command.js';
import { ExitCode } from '../src/errors.js';
import { noPositionals } from './options.js';

/** `/mail-help` in Slack (and `help` on the CLI): every command with its slash form. */
export const help = defineCommand({
  name: 'help',
  summary: 'List the commands.',
  usage: 'help',
  slash: '/mail-help',
  flags: {},
  parse: (_flags, positionals) => noPositionals(positionals),
  async run() {
    // Imported here: the registry imports this command.
    const { commands } = await import('./index.js');
    const lines = commands.map(
      (c) => `${(c.slash ?? '—').padEnd(15)} ${`npx mail-updater ${c.usage}`.padEnd(70)} ${c.summary}`,
    );
    const text = [
      'Slash command   CLI                                                                    What it does',
      ...lines,
      "Approve / Reject buttons on the approval request send or cancel the day's run.",
    ].join('\n');
    return {
      exitCode: ExitCode.ok,
      text,
      json: {
        commands: commands.map((c) => ({ name: c.name, slash: c.slash ?? null, usage: c.usage, summary: c.summary })),
      },
    };
  },
});
