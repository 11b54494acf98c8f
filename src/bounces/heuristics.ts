/**
 * Bounces without a usable RFC 3464 report: qmail's plain text ("Hi. This is the qmail-send
 * program…"), older Gmail and Exchange notices, and the generic "Undelivered Mail Returned to
 * Sender" with the SMTP reply in the text. Recognised only when the *sender or subject* says
 * "mail system" and the *text* says "failed" or carries an SMTP reply: either alone is too weak
 * (a person may well write "your message was not delivered").
 */
import type { Severity } from './delivery-status.js';
import type { ReadMessage } from './message.js';

export interface HeuristicBounce {
  severity: Severity;
  status?: string;
  recipientAddress?: string;
  /** Raw: addresses not masked yet. */
  diagnostic?: string;
}

const SYSTEM_SENDER = /^(mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|postmaster|mail-delivery-subsystem)@/i;
const BOUNCE_SUBJECT =
  /undeliver(ed|able)|delivery (status notification|has failed|failure|failed|incomplete|delayed)|returned mail|failure notice|mail delivery (failed|failure|system)|non-?delivery|could not be delivered|delayed mail/i;

const FAILURE_TEXT = [
  /delivery has failed to these recipients or groups/i, // Exchange / Office 365
  /your message (wasn'?t|was not|couldn'?t be|could not be) delivered/i, // Gmail, Exchange
  /this is the qmail-send program/i,
  /sorry,? i couldn'?t deliver|i wasn'?t able to deliver your message/i, // qmail
  /could not be delivered to one or more (of its )?recipients/i, // Postfix, Exim
  /the following address(es)? failed/i, // Exim
  /permanent (error|failure)|permanent fatal errors?/i,
  /user unknown|no such user|unknown user|recipient not found|address not found|mailbox unavailable/i,
  /remote (host|server) (said|returned)/i,
];
// The lines that say *why*, as opposed to the notice's opening sentence.
const REASON_TEXT =
  /sorry,? i couldn'?t|user unknown|no such user|unknown user|recipient not found|address not found|mailbox unavailable|does not exist|no host named|quota|rejected|refused/i;
const DELAY_TEXT =
  /delivery (has been |is )?delayed|not (yet )?been delivered|will (continue to )?(be )?retr(y|ied)|still (being )?(retried|trying)|this is a warning only/i;

// An enhanced status code (RFC 3463) that is not part of an IP address or version number.
const ENHANCED = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![.\d])/;
// An SMTP reply code at the start of a reply: "550 ", "550-", "said: 550 …".
const REPLY_CODE = /(?<![\d.])([45]\d\d)[ -](?=\S)/;
const ADDRESS = /[^\s<>"'(),;:[\]]{1,200}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+/g;
const NOT_A_RECIPIENT = /^(mailer-daemon|postmaster|mail-daemon|mailer_daemon)@/i;
// Where a notice starts quoting the returned message: codes and addresses past it are not the
// failure's (a Received line has dates and IPs, a From line has our own address).
const QUOTE_START =
  /^\s*(-{2,}\s*(below this line is a copy of the message|original message|forwarded message|undelivered message)|original message headers:|return-path:|received: )/im;

function noticeOnly(text: string): string {
  const start = text.search(QUOTE_START);
  return start < 0 ? text : text.slice(0, start);
}

function looksLikeSystemMail(m: ReadMessage): boolean {
  return (m.fromAddress !== undefined && SYSTEM_SENDER.test(m.fromAddress)) || BOUNCE_SUBJECT.test(m.subject);
}

/** The reply the remote server gave: the first line with an SMTP code, with its continuation lines. */
function replyLines(lines: string[]): string | undefined {
  const index = lines.findIndex((line) => REPLY_CODE.test(line) || ENHANCED.test(line));
  if (index < 0) return undefined;
  const first = lines[index]!;
  const taken = [first];
  // Multi-line replies ("550-5.1.1 …" then "550 5.1.1 …") and text wrapped onto the next lines.
  for (const next of lines.slice(index + 1, index + 5)) {
    if (next.trim() === '') break;
    taken.push(next);
  }
  return taken.join(' ');
}

/**
 * The remote reply quoted in a notice's text, for reports whose Diagnostic-Code is missing
 * (Exim puts it in the human-readable part only).
 */
export function noticeDiagnostic(m: ReadMessage): string | undefined {
  return replyLines(noticeOnly(m.text).split(/\r?\n/));
}

function failedRecipient(m: ReadMessage, notice: string, ignoreLocal: string | undefined): string | undefined {
  const header = m.header('x-failed-recipients')[0]?.match(ADDRESS)?.[0];
  if (header !== undefined) return header;
  const own = ignoreLocal?.toLowerCase();
  return (notice.match(ADDRESS) ?? []).find((address) => {
    const local = address.toLowerCase().split('@')[0]!.split('+')[0];
    return !NOT_A_RECIPIENT.test(address) && local !== own;
  });
}

export function heuristicBounce(m: ReadMessage, returnPathLocal: string | undefined): HeuristicBounce | undefined {
  if (!looksLikeSystemMail(m)) return undefined;
  const notice = noticeOnly(m.text);
  const failed = FAILURE_TEXT.some((pattern) => pattern.test(notice));
  const delayed = DELAY_TEXT.test(notice) || /delay/i.test(m.subject);
  const lines = notice.split(/\r?\n/);
  const reply = replyLines(lines);
  if (!failed && !delayed && reply === undefined) return undefined;

  const enhanced = reply === undefined ? undefined : ENHANCED.exec(reply);
  const status = enhanced ? `${enhanced[1]}.${enhanced[2]}.${enhanced[3]}` : undefined;
  const basic = reply === undefined ? undefined : REPLY_CODE.exec(reply)?.[1];
  const severityClass = status?.[0] ?? basic?.[0];
  // With no code at all, a failure notice is final (qmail's "Sorry, I couldn't deliver") unless
  // it says it is still trying.
  const severity: Severity =
    severityClass === '5' ? 'hard' : severityClass === '4' ? 'soft' : delayed && !failed ? 'soft' : 'hard';
  const diagnostic =
    reply ??
    lines.find((line) => REASON_TEXT.test(line)) ??
    lines.find((line) => FAILURE_TEXT.some((p) => p.test(line)));
  const recipientAddress = failedRecipient(m, notice, returnPathLocal);
  return {
    severity,
    ...(status === undefined ? {} : { status }),
    ...(recipientAddress === undefined ? {} : { recipientAddress }),
    ...(diagnostic === undefined ? {} : { diagnostic }),
  };
}
