/**
 * Approve / Reject on the approval request, and "Ticket filed" on failure replies. Every click
 * is acked first; refusals are ephemeral and say why; the decision itself is one atomic claim in
 * the ledger (StudyBot.approve), so double clicks and simultaneous approvers send once.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { fileTicket } from '../failure-thread.js';
import type { StudyBot } from '../study-bot.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../views/approval.js';
import { failureReplyBlocks, failureReplyText, TICKET_ACTION, TICKET_MODAL, type TicketRef } from '../views/failures.js';
import { rejectModal, REJECT_MODAL, ticketModal } from '../views/modals.js';

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
    const refusal = bot.rejectRefusal(runId, body.user.id);
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
      if (channel !== undefined) await bot.poster.ephemeral(channel, body.user.id, 'Only the study\'s operators and approvers can mark tickets as filed.');
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: ticketModal(JSON.parse(action.value ?? '{}') as TicketRef) });
  });

  app.view(TICKET_MODAL, async ({ ack, body, view }) => {
    await ack();
    const ref = JSON.parse(view.private_metadata) as TicketRef;
    const ticketId = view.state.values.ticket?.ticket_input?.value?.trim() || null;
    const filed = fileTicket(bot.db, ref.runId, ref.did, body.user.id, ticketId, bot.now());
    if (filed === undefined || filed.ts === null) return;
    if (!filed.first) {
      await bot.poster.ephemeral(filed.channel, body.user.id, `A ticket for ${ref.did} was already filed by <@${filed.filed.filedBy}>.`);
      return;
    }
    await bot.poster.update(filed.channel, filed.ts, { text: failureReplyText(filed.message), blocks: failureReplyBlocks(filed.message, filed.filed, bot.config.STUDY_TZ) });
  });
}
