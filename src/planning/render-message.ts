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
import { type MessageTags, messageTags } from './message-tags.js';

export interface RenderSettings {
  runId: string;
  /** ISO time: the Date header of every message. */
  dateIso: string;
  reportDate: string;
  from: Mailbox;
  replyTo: Mailbox | undefined;
  redirectTo: string | undefined;
  templates: Templates;
  /** MAIL_RETURN_PATH; with a `+` slot (and tokenSecret) each message gets its own tag. */
  returnPath?: string | undefined;
  /** MAIL_UNSUBSCRIBE_TO (default: the reply address). */
  unsubscribeTo?: string | undefined;
  /** BOUNCE_TOKEN_SECRET: the HMAC key of the per-message tokens. */
  tokenSecret?: string | undefined;
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

export type RenderResult =
  | { did: string; sha256: string; messageId: string; returnPathToken?: string; unsubscribeToken?: string }
  /** This participant's message could not be rendered: the reason, without any of its values. */
  | { did: string; error: string };

/** An error's kind, never its message (which may quote a participant's values). */
export function describeRenderError(error: unknown): string {
  if (error instanceof RangeError) return `RangeError: ${error.message.slice(0, 60)}`;
  return error instanceof Error ? error.name : 'unknown error';
}

/** One message's exact bytes; throws when this participant's values cannot be rendered. */
function renderOne(
  settings: RenderSettings,
  reportDateLong: string,
  job: RenderJob,
  messageId: string,
  tags: MessageTags,
): Buffer {
  const { did } = job;
  const { redirectTo } = settings;
  const content = renderTemplates(settings.templates, {
    ...job.fields,
    ...job.data,
    did,
    report_date: settings.reportDate,
    report_date_long: reportDateLong,
  });
  return composeMessage({
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
    date: new Date(settings.dateIso),
    boundary: `mu_${createHash('sha256').update(messageId).digest('hex').slice(0, 28)}`,
    returnPath: tags.returnPath,
    listUnsubscribe: tags.listUnsubscribe,
    extraHeaders: { 'X-Mail-Updater-Run': settings.runId },
  });
}

export function renderAndWrite(settings: RenderSettings, jobs: readonly RenderJob[]): RenderResult[] {
  const reportDateLong = longDate(settings.reportDate);
  const domain = settings.from.address.split('@')[1] ?? 'mail-updater.invalid';
  return jobs.map((job): RenderResult => {
    const { did } = job;
    const messageId = `${settings.runId}.${createHash('sha256').update(did).digest('hex').slice(0, 16)}@${domain}`;
    let bytes: Buffer;
    const tags = messageTags(settings, did);
    try {
      bytes = renderOne(settings, reportDateLong, job, messageId, tags);
    } catch (error) {
      // One participant's data must not stop everyone else's message; a failed write (disk
      // full, permissions) below is not theirs and fails the run.
      return { did, error: describeRenderError(error) };
    }
    writeFileSync(join(settings.outDir, `${did}.eml`), bytes, { mode: 0o600 });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return { did, sha256, messageId, ...tags.tokens };
  });
}
