/**
 * Approve / Reject on the approval request, and "Ticket filed" on failure replies. Every click
 * is acked first; refusals are ephemeral and say why; the decision itself is one atomic claim in
 * the ledger (StudyBot.approve), so double clicks and simultaneous approvers send once.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { NOT_OURS, parseJsonPayload, parseRunId, runFormMetadataSchema, ticketRefSchema } from '../payloads.js';
import type { StudyBot } from '../study-bot.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../views/approval.js';
import { TICKET_ACTION, TICKET_MODAL } from '../views/failures.js';
import { REJECT_MODAL, rejectModal, ticketModal } from '../views/modals.js';
import { clickedOn } from './clicked-on.js';

const channelOf = (body: BlockAction): string | undefined => clickedOn(body).channel;

export function registerDecisions(app: App, bot: StudyBot): void {
  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, async ({ ack, body, action }) => {
    await ack();
    const runId = parseRunId(action.value);
    const ours = runId !== undefined && bot.isOurRequest(runId, clickedOn(body));
    const outcome = !ours ? { ok: false as const, reason: NOT_OURS } : bot.approve(runId, body.user.id);
    const channel = channelOf(body);
    if (!outcome.ok && channel !== undefined) await bot.poster.ephemeral(channel, body.user.id, outcome.reason);
  });

  app.action<BlockAction<ButtonAction>>(REJECT_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const runId = parseRunId(action.value);
    const channel = channelOf(body);
    // Check before asking why: a refused rejection should not make anyone type a reason first.
    const ours = runId !== undefined && bot.isOurRequest(runId, clickedOn(body));
    const refusal = !ours ? NOT_OURS : bot.refusal(runId, body.user.id, 'reject');
    if (refusal !== undefined || runId === undefined) {
      if (channel !== undefined) await bot.poster.ephemeral(channel, body.user.id, refusal ?? NOT_OURS);
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: rejectModal(runId, channel ?? '') });
  });

  app.view(REJECT_MODAL, async ({ ack, body, view }) => {
    const reason = view.state.values.reason?.reason_input?.value?.trim() ?? '';
    if (reason === '') {
      await ack({ response_action: 'errors', errors: { reason: 'Say why, so the team knows what to fix.' } });
      return;
    }
    await ack();
    const metadata = parseJsonPayload(runFormMetadataSchema, view.private_metadata);
    if (metadata === undefined) {
      bot.logger.warn({ modal: REJECT_MODAL }, 'reject form with unreadable metadata ignored');
      return;
    }
    const { runId, channel } = metadata;
    const outcome = bot.reject(runId, body.user.id, reason);
    if (!outcome.ok && channel !== '') await bot.poster.ephemeral(channel, body.user.id, outcome.reason);
  });

  app.action<BlockAction<ButtonAction>>(TICKET_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const channel = channelOf(body);
    if (!bot.mayFileTickets(body.user.id)) {
      if (channel !== undefined)
        await bot.poster.ephemeral(
          channel,
          body.user.id,
          "Only the study's operators and approvers can mark tickets as filed.",
        );
      return;
    }
    const ref = parseJsonPayload(ticketRefSchema, action.value);
    if (ref === undefined || !bot.isOurFailureReply(ref, clickedOn(body))) {
      if (channel !== undefined) await bot.poster.ephemeral(channel, body.user.id, NOT_OURS);
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: ticketModal(ref) });
  });

  app.view(TICKET_MODAL, async ({ ack, body, view }) => {
    await ack();
    const ref = parseJsonPayload(ticketRefSchema, view.private_metadata);
    if (ref === undefined) {
      bot.logger.warn({ modal: TICKET_MODAL }, 'ticket form with unreadable metadata ignored');
      return;
    }
    // Checked again on submit: the form may outlive the person's role, or be forged.
    if (!bot.mayFileTickets(body.user.id)) {
      bot.logger.warn({ modal: TICKET_MODAL, user: body.user.id }, 'ticket form from someone who may not file tickets');
      return;
    }
    const ticketId = view.state.values.ticket?.ticket_input?.value?.trim().slice(0, 200) || null;
    await bot.fileTicket(ref, body.user.id, ticketId);
  });
}
