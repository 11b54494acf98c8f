/**
 * Renders participants' messages for a run and writes them as .eml files: template fields,
 * headers, exact bytes, hash. Runs in a worker thread when it can (see render-pool.ts), so its
 * input and output are plain, cloneable data.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComplianceRow } from '../compliance/db.js';
import type { Mailbox } from '../mail/address.js';
import { composeMessage } from '../mail/compose.js';
import { renderTemplates, type Templates } from '../mail/templates.js';
import { longDate } from '../util/dates.js';

export interface RenderSettings {
  runId: string;
  /** ISO time: the Date header of every message. */
  dateIso: string;
  reportDate: string;
  from: Mailbox;
  replyTo: Mailbox | undefined;
  redirectTo: string | undefined;
  templates: Templates;
  /** Folder the .eml files are written to. */
  outDir: string;
}

export interface RenderJob {
  did: string;
  firstName: string;
  lastName: string;
  email: string;
  /** Roster fields by column name, then the compliance row: the template's view. */
  fields: Record<string, string>;
  data: ComplianceRow;
}

export interface RenderResult {
  did: string;
  sha256: string;
  messageId: string;
}

export function renderAndWrite(settings: RenderSettings, jobs: readonly RenderJob[]): RenderResult[] {
  const reportDateLong = longDate(settings.reportDate);
  const domain = settings.from.address.split('@')[1] ?? 'mail-updater.invalid';
  const date = new Date(settings.dateIso);
  const { redirectTo } = settings;
  return jobs.map((job) => {
    const { did } = job;
    const messageId = `${settings.runId}.${createHash('sha256').update(did).digest('hex').slice(0, 16)}@${domain}`;
    const content = renderTemplates(settings.templates, {
      ...job.fields,
      ...job.data,
      did,
      report_date: settings.reportDate,
      report_date_long: reportDateLong,
    });
    const bytes = composeMessage({
      from: settings.from,
      to:
        redirectTo !== undefined
          ? { address: redirectTo }
          : { name: `${job.firstName} ${job.lastName}`.trim(), address: job.email },
      replyTo: settings.replyTo,
      subject: redirectTo !== undefined ? `[TEST ${did}] ${content.subject}` : content.subject,
      text: content.text,
      html: content.html,
      messageId,
      date,
      boundary: `mu_${createHash('sha256').update(messageId).digest('hex').slice(0, 28)}`,
      extraHeaders: { 'X-Mail-Updater-Run': settings.runId },
    });
    writeFileSync(join(settings.outDir, `${did}.eml`), bytes, { mode: 0o600 });
    return { did, sha256: createHash('sha256').update(bytes).digest('hex'), messageId };
  });
}
