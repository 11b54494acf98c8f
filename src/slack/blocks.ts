/**
 * Block Kit building blocks that respect Slack's limits: at most 50 blocks per message, 3,000
 * characters per section text, 150 per header, 75 per button label. Long lists are cut with
 * "and N more" instead of being rejected by Slack (invalid_blocks) or silently truncated.
 * Every text passes through addressesMasked: no full e-mail address reaches Slack.
 */
import type { types } from '@slack/bolt';
import type { StateCounts } from '../storage/messages.js';
import { maskAddressesInText } from '../util/mask.js';

export type Block = types.KnownBlock;

export const MAX_BLOCKS = 50;
export const SECTION_TEXT_LIMIT = 3000;
const HEADER_LIMIT = 150;

/** Slack's mrkdwn treats &, < and > as markup; user-supplied text must not. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function addressesMasked(text: string): string {
  return maskAddressesInText(text);
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: cut(addressesMasked(text), HEADER_LIMIT), emoji: true } };
}

export function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: cut(addressesMasked(mrkdwn), SECTION_TEXT_LIMIT) } };
}

export function fields(pairs: [string, string][]): Block {
  // A section holds at most 10 fields of 2,000 characters each.
  return {
    type: 'section',
    fields: pairs
      .slice(0, 10)
      .map(([label, value]) => ({ type: 'mrkdwn', text: cut(addressesMasked(`*${label}*\n${value}`), 2000) })),
  };
}

export function context(mrkdwn: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: cut(addressesMasked(mrkdwn), SECTION_TEXT_LIMIT) }] };
}

export function divider(): Block {
  return { type: 'divider' };
}

/**
 * Lines joined until the next would overflow `limit` characters or `maxItems` lines; the rest
 * become "…and N more". Returns the text to put in one section.
 */
export function listWithMore(lines: readonly string[], maxItems: number, limit = SECTION_TEXT_LIMIT - 100): string {
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (kept.length >= maxItems || length + line.length + 1 > limit) break;
    kept.push(line);
    length += line.length + 1;
  }
  const rest = lines.length - kept.length;
  return rest > 0 ? `${kept.join('\n')}\n…and ${rest} more` : kept.join('\n');
}

/** A fenced block that stays inside a section's limit, fence included. */
export function codeBlock(text: string, limit = SECTION_TEXT_LIMIT - 200): string {
  const body = text.replace(/```/g, "'''");
  return `\`\`\`${body.length > limit ? `${body.slice(0, limit)}\n… (cut)` : body}\`\`\``;
}

/** Keeps a message within 50 blocks: the last kept block says how many were dropped. */
export function withinBlockLimit(blocks: Block[]): Block[] {
  if (blocks.length <= MAX_BLOCKS) return blocks;
  return [
    ...blocks.slice(0, MAX_BLOCKS - 1),
    context(`…and ${blocks.length - (MAX_BLOCKS - 1)} more blocks not shown`),
  ];
}

/** "09:12" in the study's time zone, for "Approved by @x at 09:12". */
export function clock(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    at,
  );
}

/** <@U123> for Slack actors ("slack:U123"), the plain actor otherwise ("schedule", "cli:alice"). */
export function mentionActor(actor: string | null): string {
  if (actor === null) return 'someone';
  return actor.startsWith('slack:') ? `<@${actor.slice('slack:'.length)}>` : escapeMrkdwn(actor);
}

/** A run's message counts on one line, as the request and App Home show them. */
export function countsText(c: StateCounts): string {
  // A bounce comes back after the send: "28 sent · 2 bounced later" (they were 30 accepted).
  const bounced = c.bounced > 0 ? ` · ${c.bounced} bounced later` : '';
  return `${c.sent} sent${bounced} · failed ${c.failed} · unknown ${c.unknown} · skipped ${c.skipped} · blocked ${c.blocked}${c.planned > 0 ? ` · not sent yet ${c.planned}` : ''}`;
}
