/**
 * Out-of-office notices and other automatic answers: not bounces (the address works), counted
 * apart. Recognised by RFC 3834's Auto-Submitted, the de-facto X-Autoreply / X-Autorespond /
 * Precedence: auto_reply headers, or, for responders that set none of those, the subject.
 * Checked after bounces: MTAs mark their DSNs `Auto-Submitted: auto-replied` as well.
 */
import type { ReadMessage } from './message.js';

const AUTO_SUBJECT =
  /^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|autoreply|away from (the )?office|on vacation|vacation reply|abwesenheitsnotiz|r[ée]ponse automatique|respuesta autom[áa]tica)\b/i;

export function isAutoReply(m: ReadMessage): boolean {
  const autoSubmitted = m.header('auto-submitted')[0]?.toLowerCase();
  if (autoSubmitted !== undefined && !autoSubmitted.startsWith('no')) return true;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponse', 'x-autoreply-from']) {
    const value = m.header(name)[0]?.toLowerCase();
    if (value !== undefined && value !== 'no' && value !== 'false') return true;
  }
  if (m.header('precedence').some((value) => value.toLowerCase() === 'auto_reply')) return true;
  return AUTO_SUBJECT.test(m.subject);
}
