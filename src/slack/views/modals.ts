/** The two modals: why a run is rejected, and which ticket a failure was filed as. */
import type { types } from '@slack/bolt';
import type { TicketRef } from './failures.js';
import { TICKET_MODAL } from './failures.js';

export const REJECT_MODAL = 'reject_run_reason';

export function rejectModal(runId: string, channel: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: REJECT_MODAL,
    private_metadata: JSON.stringify({ runId, channel }),
    title: { type: 'plain_text', text: 'Reject this send' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Why? (recorded in the audit trail)' },
        element: { type: 'plain_text_input', action_id: 'reason_input', multiline: true, max_length: 500 },
      },
    ],
  };
}

export function ticketModal(ref: TicketRef): types.ModalView {
  return {
    type: 'modal',
    callback_id: TICKET_MODAL,
    private_metadata: JSON.stringify(ref),
    title: { type: 'plain_text', text: 'Ticket filed' },
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'ticket',
        optional: true,
        label: { type: 'plain_text', text: `Ticket ID for ${ref.did} (optional)` },
        element: { type: 'plain_text_input', action_id: 'ticket_input', max_length: 100, placeholder: { type: 'plain_text', text: 'e.g. HELP-1234' } },
      },
    ],
  };
}
