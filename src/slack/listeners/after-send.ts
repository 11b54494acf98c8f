/**
 * Resume (a paused run) and Resend unknown (chosen unknown-outcome messages) on the approval
 * request. Approvers only; each is confirmed in Slack first; both go down the one send path.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { unknownOutcomes } from '../../storage/send-ledger.js';
import { NOT_OURS, parseJsonPayload, parseRunId, runFormMetadataSchema } from '../payloads.js';
import type { StudyBot } from '../study-bot.js';
import { RESEND_UNKNOWN_ACTION, RESUME_ACTION } from '../views/approval.js';
import { RESEND_UNKNOWN_MODAL, resendUnknownModal } from '../views/modals.js';
import { clickedOn } from './clicked-on.js';

export function registerAfterSend(app: App, bot: StudyBot): void {
  app.action<BlockAction<ButtonAction>>(RESUME_ACTION, async ({ ack, body, action }) => {
    await ack();
    const runId = parseRunId(action.value);
    const at = clickedOn(body);
    const outcome =
      runId === undefined || !bot.isOurRequest(runId, at)
        ? { ok: false as const, reason: NOT_OURS }
        : bot.resume(runId, body.user.id);
    if (!outcome.ok && at.channel !== undefined) await bot.poster.ephemeral(at.channel, body.user.id, outcome.reason);
  });

  app.action<BlockAction<ButtonAction>>(RESEND_UNKNOWN_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const runId = parseRunId(action.value);
    const at = clickedOn(body);
    const refusal =
      runId === undefined || !bot.isOurRequest(runId, at)
        ? NOT_OURS
        : bot.afterSendRefusal(runId, body.user.id, 'resend_unknown');
    if (refusal !== undefined || runId === undefined) {
      if (at.channel !== undefined) await bot.poster.ephemeral(at.channel, body.user.id, refusal ?? NOT_OURS);
      return;
    }
    const view = resendUnknownModal(runId, at.channel ?? '', unknownOutcomes(bot.db, runId));
    await client.views.open({ trigger_id: body.trigger_id, view });
  });

  app.view(RESEND_UNKNOWN_MODAL, async ({ ack, body, view }) => {
    await ack();
    const metadata = parseJsonPayload(runFormMetadataSchema, view.private_metadata);
    const chosen = view.state.values.dids?.dids_input?.selected_options ?? [];
    const dids = chosen.map((o) => o.value).filter((d): d is string => typeof d === 'string');
    if (metadata === undefined || dids.length === 0) return;
    // Decided again on submit: the run or the person's role may have changed while the form was open.
    const outcome = bot.resendUnknown(metadata.runId, body.user.id, dids);
    if (!outcome.ok && metadata.channel !== '')
      await bot.poster.ephemeral(metadata.channel, body.user.id, outcome.reason);
  });
}
