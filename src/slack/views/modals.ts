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
