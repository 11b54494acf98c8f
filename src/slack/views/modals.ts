/** The two modals: why a run is rejected, and which ticket a failure was filed as. */
import type { types } from '@slack/bolt';
import type { TicketRef } from './failures.js';
import { TICKET_MODAL } from './failures.js';

export const REJECT_MODAL = 'reject_run_reason';

/** A modal with one text input; the listener reads it as state.values[blockId][actionId]. */
function oneInputModal(options: {
  callbackId: string;
  metadata: unknown;
  title: string;
  submit: string;
  blockId: string;
  actionId: string;
  label: string;
  optional: boolean;
  element: Partial<types.PlainTextInput>;
}): types.ModalView {
  return {
    type: 'modal',
    callback_id: options.callbackId,
    private_metadata: JSON.stringify(options.metadata),
    title: { type: 'plain_text', text: options.title },
    submit: { type: 'plain_text', text: options.submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: options.blockId,
        optional: options.optional,
        label: { type: 'plain_text', text: options.label },
        element: { ...options.element, type: 'plain_text_input', action_id: options.actionId },
      },
    ],
  };
}

export function rejectModal(runId: string, channel: string): types.ModalView {
  return oneInputModal({
    callbackId: REJECT_MODAL,
    metadata: { runId, channel },
    title: 'Reject this send',
    submit: 'Reject',
    blockId: 'reason',
    actionId: 'reason_input',
    label: 'Why? (recorded in the audit trail)',
    optional: false,
    element: { multiline: true, max_length: 500 },
  });
}

export function ticketModal(ref: TicketRef): types.ModalView {
  return oneInputModal({
    callbackId: TICKET_MODAL,
    metadata: ref,
    title: 'Ticket filed',
    submit: 'Save',
    blockId: 'ticket',
    actionId: 'ticket_input',
    label: `Ticket ID for ${ref.did} (optional)`,
    optional: true,
    element: { max_length: 100, placeholder: { type: 'plain_text', text: 'e.g. HELP-1234' } },
  });
}

export const RESEND_UNKNOWN_MODAL = 'resend_unknown_choose';

/** Which unknown-outcome messages to send again: DIDs and Message-IDs, never addresses. */
export function resendUnknownModal(
  runId: string,
  channel: string,
  unknown: readonly { did: string; message_id: string | null }[],
): types.ModalView {
  // A static multi-select holds at most 100 options; more than that is a job for the CLI.
  const options = unknown.slice(0, 100).map((m) => ({
    text: { type: 'plain_text' as const, text: m.did.slice(0, 75) },
    description: { type: 'plain_text' as const, text: (m.message_id ?? 'no Message-ID').slice(0, 75) },
    value: m.did,
  }));
  const more = unknown.length - options.length;
  return {
    type: 'modal',
    callback_id: RESEND_UNKNOWN_MODAL,
    private_metadata: JSON.stringify({ runId, channel }),
    title: { type: 'plain_text', text: 'Resend unknown' },
    submit: { type: 'plain_text', text: 'Resend' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Search the relay's log for each Message-ID first: a message the relay delivered would arrive twice.${more > 0 ? ` ${more} more are not listed; use \`send-daily --run ${runId} --resend-unknown DID,…\`.` : ''}`,
        },
      },
      {
        type: 'input',
        block_id: 'dids',
        label: { type: 'plain_text', text: 'Send these again' },
        element: { type: 'multi_static_select', action_id: 'dids_input', options },
      },
    ],
  };
}
