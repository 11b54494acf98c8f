/**
 * Failure replies in the approval request's thread: one per failed message (up to a cap), each
 * with a "Ticket filed" button; past the cap, one summary grouped by error plus a CSV. A hard
 * bounce that comes back after the send is threaded the same way (the message left us, then the
 * participant's server returned it): DID, status code and the diagnostic, addresses masked.
 */
import { stringify } from 'csv-stringify/sync';
import type { FiledTicket } from '../../storage/failure-replies.js';
import type { MessageRow } from '../../storage/messages.js';
import { maskAddressesInText } from '../../util/mask.js';
import { type Block, clock, context, escapeMrkdwn, listWithMore, section } from '../blocks.js';

export type { FiledTicket };

export const TICKET_ACTION = 'ticket_filed';
export const TICKET_MODAL = 'ticket_filed_modal';

export interface TicketRef {
  runId: string;
  did: string;
}

/** The bounce columns of a ledger row (present on every row read with SELECT *). */
interface BounceFields {
  bounce_status?: string | null;
  bounce_diagnostic?: string | null;
}

function errorOf(m: MessageRow): string {
  if (m.state === 'bounced') {
    const b = m as MessageRow & BounceFields;
    return maskAddressesInText(
      `bounced${b.bounce_status ? ` ${b.bounce_status}` : ''}: ${b.bounce_diagnostic ?? 'no diagnostic given'}`,
    );
  }
  return maskAddressesInText(
    m.state === 'unknown'
      ? `outcome unknown: ${m.last_error ?? 'the sender stopped while this message was in flight'}`
      : (m.last_error ?? 'no error recorded'),
  );
}

function describe(m: MessageRow): string {
  if (m.state === 'bounced') {
    const status = (m as MessageRow & BounceFields).bounce_status;
    return `:leftwards_arrow_with_hook: *Bounced after sending*: DID \`${escapeMrkdwn(m.did)}\` · status ${status ? `\`${escapeMrkdwn(status)}\`` : 'not given'} · suppressed until the roster's address changes\n> ${escapeMrkdwn(errorOf(m))}`;
  }
  const kind =
    m.state === 'unknown'
      ? 'outcome unknown (not re-sent without --resend-unknown)'
      : m.failure_kind === 'temporary'
        ? 'temporary (retried by the next send)'
        : 'permanent';
  return `:email: *Not delivered*: DID \`${escapeMrkdwn(m.did)}\` · ${m.attempts} attempt(s) · ${kind}\n> ${escapeMrkdwn(errorOf(m))}`;
}

export function failureReplyBlocks(m: MessageRow, filed: FiledTicket | undefined, timeZone: string): Block[] {
  if (filed !== undefined) {
    const ticket = filed.ticketId ? `Ticket *${escapeMrkdwn(filed.ticketId)}*` : 'A ticket';
    return [
      section(describe(m)),
      context(`:ticket: ${ticket} filed by <@${filed.filedBy}> at ${clock(filed.filedAt, timeZone)}`),
    ];
  }
  const ref: TicketRef = { runId: m.run_id, did: m.did };
  return [
    section(describe(m)),
    {
      type: 'actions',
      block_id: 'ticket',
      elements: [
        {
          type: 'button',
          action_id: TICKET_ACTION,
          text: { type: 'plain_text', text: 'Ticket filed' },
          value: JSON.stringify(ref),
        },
      ],
    },
  ];
}

export function failureReplyText(m: MessageRow): string {
  if (m.state === 'bounced') return `Bounced after sending: DID ${m.did}: ${errorOf(m)}`;
  return `Not delivered: DID ${m.did} (${m.attempts} attempt(s)): ${errorOf(m)}`;
}

/** Groups by error with addresses and numbers blurred, so "550 <x> unknown" is one group. */
function errorGroup(m: MessageRow): string {
  return errorOf(m)
    .replace(/[^\s<>"'(),;:]*\*\*\*@[A-Za-z0-9.-]+/g, '[address]')
    .slice(0, 120);
}

export function failureSummaryBlocks(
  rest: readonly MessageRow[],
  total: number,
  cap: number,
  what: 'failed' | 'bounced' = 'failed',
): Block[] {
  const groups = new Map<string, number>();
  for (const m of rest) groups.set(errorGroup(m), (groups.get(errorGroup(m)) ?? 0) + 1);
  const lines = [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([error, n]) => `• ${n} × ${escapeMrkdwn(error)}`);
  return [
    section(
      `*${rest.length} more ${what} message(s)* (the first ${cap} have their own reply; ${total} in all). By error:\n${listWithMore(lines, 25)}`,
    ),
    context(
      `The attached CSV lists every ${what === 'failed' ? 'failure' : 'bounce'} of this run (DID, state, attempts, error with addresses masked).`,
    ),
  ];
}

export function failuresCsv(all: readonly MessageRow[]): string {
  return stringify([
    ['did', 'state', 'failure_kind', 'attempts', 'error', 'run_id', 'report_date'],
    ...all.map((m) => [m.did, m.state, m.failure_kind ?? '', m.attempts, errorOf(m), m.run_id, m.report_date]),
  ]);
}
