import { defineCommand } from '../src/command.js';
import { ExitCode, UsageError } from '../src/errors.js';
import { audit } from '../src/storage/audit.js';
import { listSuppressions, removeSuppressions, type Suppression } from '../src/storage/suppressions.js';
import { jsonFlag } from './options.js';

type Options = { action: 'list' } | { action: 'remove'; key: string };
type Data = { action: 'list' | 'remove'; suppressions: Suppression[] };

/** Never the address: the DID, the masked address, why and since when. */
function line(s: Suppression): string {
  return `  ${s.did}  ${s.kind === 'bounced' ? `bounced (${s.status ?? 'no status'})` : 'opted out'}  ${s.to_masked ?? ''}  since ${s.at.slice(0, 10)}`;
}

function publicRow(s: Suppression): Record<string, unknown> {
  return { did: s.did, kind: s.kind, to_masked: s.to_masked, status: s.status, run_id: s.run_id, at: s.at };
}

export const suppressionCommand = defineCommand<Options, Data>({
  name: 'suppression',
  summary: 'Suppressed addresses (bounced, opted out); lift one (audited).',
  usage: 'suppression list|remove ADDRESS-or-DID [--json]',
  flags: { json: jsonFlag },
  parse: (_flags, positionals) => {
    const [action, key, ...rest] = positionals;
    if (action === 'list' && key === undefined) return { action };
    if (action === 'remove' && key !== undefined && rest.length === 0) return { action, key };
    throw new UsageError('Use `suppression list` or `suppression remove ADDRESS-or-DID`.');
  },
  async run(ctx, options) {
    const db = ctx.stateDb();
    if (options.action === 'list') return { action: 'list', suppressions: listSuppressions(db) };
    const removed = removeSuppressions(db, options.key);
    for (const s of removed)
      audit(
        db,
        {
          actor: ctx.actor,
          action: 'suppression_removed',
          ...(s.run_id === null ? {} : { runId: s.run_id }),
          detail: { did: s.did, kind: s.kind },
        },
        ctx.now(),
      );
    return { action: 'remove', suppressions: removed };
  },
  exitCode: (d) => (d.action === 'remove' && d.suppressions.length === 0 ? ExitCode.problemsFound : ExitCode.ok),
  text: (d) =>
    d.action === 'list'
      ? [`${d.suppressions.length} suppression(s).`, ...d.suppressions.map(line)].join('\n')
      : d.suppressions.length === 0
        ? 'Nothing to remove: no suppression for that address or DID.'
        : [`Removed ${d.suppressions.length} suppression(s):`, ...d.suppressions.map(line)].join('\n'),
  json: (d) => ({ action: d.action, suppressions: d.suppressions.map(publicRow) }),
});
