/** Renders one participant's message for a run: template fields, headers, exact bytes, hash. */
import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import type { ComplianceRow } from '../compliance/db.js';
import type { Mailbox } from '../mail/address.js';
import { composeMessage } from '../mail/compose.js';
import { renderTemplates } from '../mail/templates.js';
import { rosterFields, type RosterRow } from '../roster/read.js';
import { longDate } from '../util/dates.js';
import type { DayValidation } from '../validation/validate-day.js';

export interface RenderedMessage {
  bytes: Buffer;
  sha256: string;
  messageId: string;
}

export interface RunIdentity {
  runId: string;
  date: Date;
  from: Mailbox;
  replyTo: Mailbox | undefined;
}

export type MessageRenderer = (row: RosterRow, data: ComplianceRow) => RenderedMessage;

export function messageRenderer(config: Config, validation: DayValidation, run: RunIdentity): MessageRenderer {
  const reportDateLong = longDate(validation.reportDate);
  const domain = run.from.address.split('@')[1] ?? 'mail-updater.invalid';
  const redirectTo = config.MAIL_REDIRECT_TO;
  return (row, data) => {
    const did = row.did;
    const messageId = `${run.runId}.${createHash('sha256').update(did).digest('hex').slice(0, 16)}@${domain}`;
    const content = renderTemplates(validation.templates, {
      ...rosterFields(validation.roster.columns, row),
      ...data,
      did,
      report_date: validation.reportDate,
      report_date_long: reportDateLong,
    });
    const bytes = composeMessage({
      from: run.from,
      to: redirectTo !== undefined ? { address: redirectTo } : { name: `${row.firstName} ${row.lastName}`.trim(), address: row.email },
      replyTo: run.replyTo,
      subject: redirectTo !== undefined ? `[TEST ${did}] ${content.subject}` : content.subject,
      text: content.text,
      html: content.html,
      messageId,
      date: run.date,
      boundary: `mu_${createHash('sha256').update(messageId).digest('hex').slice(0, 28)}`,
      extraHeaders: { 'X-Mail-Updater-Run': run.runId },
    });
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), messageId };
  };
}
