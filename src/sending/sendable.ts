/** Whether a run may be sent now, with these settings: the checks every live send makes first. */
import type { Config } from '../config.js';
import { JobRefusedError, UsageError } from '../errors.js';
import type { RunRow } from '../storage/runs.js';

/** Checks that a run can be sent with the current settings; throws with the fix when not. */
export function assertSendable(run: RunRow, config: Config): void {
  if (run.state === 'blocked')
    throw new JobRefusedError(
      `The run ${run.id} for ${run.report_date} is blocked by validation errors; fix them and run \`send-daily --dry-run\` again.`,
      'run_blocked',
    );
  if (run.state === 'rejected')
    throw new JobRefusedError(
      `The run ${run.id} for ${run.report_date} was rejected by ${run.decided_by ?? 'an approver'}${run.decision_reason ? ` ("${run.decision_reason}")` : ''}. Prepare a new batch with \`send-daily --dry-run\`.`,
      'run_rejected',
    );
  if (run.state === 'superseded')
    throw new JobRefusedError(
      `The run ${run.id} was superseded by a newer dry run (${run.superseded_by}).`,
      'run_superseded',
    );
  if (run.mail_from === null)
    throw new UsageError(
      `The run ${run.id} was previewed without MAIL_FROM, so its messages have no real sender. Set MAIL_FROM and run \`send-daily --dry-run\` again.`,
      'run_without_from',
    );
  if (run.mail_from !== config.MAIL_FROM)
    throw new UsageError(
      `MAIL_FROM changed since the run ${run.id} was previewed. Run \`send-daily --dry-run\` again so the preview shows the new sender.`,
      'run_from_changed',
    );
  if ((run.redirect_to ?? undefined) !== config.MAIL_REDIRECT_TO) {
    throw new UsageError(
      `MAIL_REDIRECT_TO is ${config.MAIL_REDIRECT_TO ? `"${config.MAIL_REDIRECT_TO}"` : 'unset'} now but was ${run.redirect_to ? `"${run.redirect_to}"` : 'unset'} when the run ${run.id} was previewed. Run \`send-daily --dry-run\` again with the setting you mean.`,
      'run_redirect_changed',
    );
  }
}
