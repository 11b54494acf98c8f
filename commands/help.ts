import { type Command, defineCommand } from '../src/command.js';
import { ExitCode } from '../src/errors.js';
import { noPositionals } from './options.js';

export interface CommandListing {
  name: string;
  slash: string | null;
  usage: string;
  summary: string;
}

/**
 * `/mail-help` in Slack (and `help` on the CLI): every command with its slash form. The registry
 * is handed in (it holds this command too), so nothing imports back from the registry.
 */
export function helpCommand(registry: () => readonly Command[]) {
  return defineCommand({
    name: 'help',
    summary: 'List the commands.',
    usage: 'help [--json]',
    slash: '/mail-help',
    flags: { json: { type: 'boolean', description: 'print one JSON document on stdout' } },
    parse: (_flags, positionals) => noPositionals(positionals),
    run: async (): Promise<CommandListing[]> =>
      registry().map((c) => ({ name: c.name, slash: c.slash ?? null, usage: c.usage, summary: c.summary })),
    exitCode: () => ExitCode.ok,
    text: (listing) =>
      [
        'Slash command   CLI                                                                    What it does',
        ...listing.map(
          (c) => `${(c.slash ?? '—').padEnd(15)} ${`npx mail-updater ${c.usage}`.padEnd(70)} ${c.summary}`,
        ),
        "Approve / Reject buttons on the approval request send or cancel the day's run.",
      ].join('\n'),
    json: (listing) => ({ commands: listing }),
  });
}
