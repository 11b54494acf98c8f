/**
 * Approve / Reject on the approval request, and "Ticket filed" on failure replies. Every click
 * is acked first; refusals are ephemeral and say why; the decision itself is one atomic claim in
 * the ledger (StudyBot.approve), so double clicks and simultaneous approvers send once.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { StudyBot } from '../study-bot.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../views/approval.js';
import { TICKET_ACTION, TICKET_MODAL, type TicketRef } from '../views/failures.js';
import { REJECT_MODAL, rejectModal, ticketModal } from '../views/modals.js';

function channelOf(body: BlockAction): string | undefined {
  return body.channel?.id ?? body.container?.channel_id;
}

export function registerDecisions(app: App, bot: StudyBot): void {
  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, async ({ ack, body, action }) => {
    await ack();
    const outcome = bot.approve(action.value ?? '', body.user.id);
    const channel = channelOf(body);
    if (!outcome.ok && channel !== undefined) await bot.poster.ephemeral(channel, body.user.id, outcome.reason);
  });

  app.action<BlockAction<ButtonAction>>(REJECT_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const runId = action.value ?? '';
    const channel = channelOf(body);
    // Check before asking why: a refused rejection should not make anyone type a reason first.
    const refusal = bot.refusal(runId, body.user.id, 'reject');
    if (refusal !== undefined) {
      if (channel !== undefined) await bot.poster.ephemeral(channel, body.user.id, refusal);
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
    const { runId, channel } = JSON.parse(view.private_metadata) as { runId: string; channel: string };
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
    await client.views.open({
      trigger_id: body.trigger_id,
      view: ticketModal(JSON.parse(action.value ?? '{}') as TicketRef),
    });
  });

  app.view(TICKET_MODAL, async ({ ack, body, view }) => {
    await ack();
    const ticketId = view.state.values.ticket?.ticket_input?.value?.trim() || null;
    await bot.fileTicket(JSON.parse(view.private_metadata) as TicketRef, body.user.id, ticketId);
  });
}
