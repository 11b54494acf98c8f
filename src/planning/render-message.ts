/**
 * Renders participants' messages for a run and writes them as .eml files: template fields,
 * headers, exact bytes, hash. Runs in a worker thread when it can (see render-pool.ts), so its
 * input and output are plain, cloneable data.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComplianceRow } from '../compliance/db.js';
import type { Mailbox } from '../mail/address.js';
import { composeMessage, contentHash } from '../mail/compose.js';
import { printedFields, renderTemplates, type Templates } from '../mail/templates.js';
import { buildView, type StudySettings } from '../mail/view-model.js';
import { type MessageTags, messageTags } from './message-tags.js';

export interface RenderSettings {
  runId: string;
  /** ISO time: the Date header of every message. */
  dateIso: string;
  reportDate: string;
  /** STUDY_TZ, STUDY_NAME, STUDY_CONTACT: the wording around each participant's numbers. */
  study: Omit<StudySettings, 'reportDate'>;
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
  /** PUBLIC_URL: adds the one-click https unsubscribe URI and List-Unsubscribe-Post (RFC 8058). */
  publicUrl?: string | undefined;
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
  /**
   * This participant's data cannot make a correct message: `impossible_data` (a value no real
   * day can have) or `template_field_empty` (a printed field with no value). `detail` names the
   * field and quotes compliance numbers only, never roster values.
   */
  | { did: string; blocked: 'impossible_data' | 'template_field_empty'; field: string; detail: string }
  /** This participant's message could not be rendered: the reason, without any of its values. */
  | { did: string; error: string };

/** An error's kind, never its message (which may quote a participant's values). */
export function describeRenderError(error: unknown): string {
  if (error instanceof RangeError) return `RangeError: ${error.message.slice(0, 60)}`;
  return error instanceof Error ? error.name : 'unknown error';
}

class Blocked {
  constructor(
    readonly code: 'impossible_data' | 'template_field_empty',
    readonly field: string,
    readonly detail: string,
  ) {}
}

const printedCache = new Map<string, string[]>();

/** The fields the templates print, parsed once per template set (the batch reuses them). */
function printed(templates: Templates): string[] {
  let fields = printedCache.get(templates.hash);
  if (fields === undefined) {
    fields = [...new Set([templates.subject, templates.text, templates.html].flatMap((t) => [...printedFields(t)]))];
    printedCache.set(templates.hash, fields);
  }
  return fields;
}

/** One message's exact bytes; throws when this participant's values cannot be rendered. */
function renderOne(settings: RenderSettings, job: RenderJob, messageId: string, tags: MessageTags): Buffer {
  const { did } = job;
  const { redirectTo } = settings;
  const built = buildView({ ...settings.study, reportDate: settings.reportDate }, job.fields, { ...job.data, did });
  if ('implausible' in built) throw new Blocked('impossible_data', built.implausible.field, built.implausible.message);
  for (const field of printed(settings.templates)) {
    const value = built.view[field];
    if (value === undefined || value === null || String(value).trim() === '')
      throw new Blocked('template_field_empty', field, `{{${field}}} would be empty in this message`);
  }
  const content = renderTemplates(settings.templates, built.view);
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
    oneClickUnsubscribe: tags.oneClick,
    extraHeaders: { 'X-Mail-Updater-Run': settings.runId },
  });
}

/**
 * Renders a batch and writes its files. The writes go to libuv's thread pool while the next
 * message renders: creating a file costs about as much as rendering one, and in-line it kept the
 * renderer's thread waiting on the file system for a fifth of the dry run.
 */
export async function renderAndWrite(settings: RenderSettings, jobs: readonly RenderJob[]): Promise<RenderResult[]> {
  const domain = settings.from.address.split('@')[1] ?? 'mail-updater.invalid';
  const writes: Promise<void>[] = [];
  const results = jobs.map((job): RenderResult => {
    const { did } = job;
    const messageId = `${settings.runId}.${createHash('sha256').update(did).digest('hex').slice(0, 16)}@${domain}`;
    let bytes: Buffer;
    const tags = messageTags(settings, did);
    try {
      bytes = renderOne(settings, job, messageId, tags);
    } catch (error) {
      if (error instanceof Blocked) return { did, blocked: error.code, field: error.field, detail: error.detail };
      // One participant's data must not stop everyone else's message; a failed write (disk
      // full, permissions) below is not theirs and fails the run.
      return { did, error: describeRenderError(error) };
    }
    writes.push(writeFile(join(settings.outDir, `${did}.eml`), bytes, { mode: 0o600 }));
    return { did, sha256: contentHash(bytes), messageId, ...tags.tokens };
  });
  // A failed write (disk full, permissions) is not the participant's: it fails the batch, and
  // the run. allSettled first, so that no write is still running when the caller moves on.
  const settled = await Promise.allSettled(writes);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return results;
}
