import type { BlockAction } from '@slack/bolt';
import type { ClickedOn } from '../provenance.js';

/** Where a clicked button was: its channel and message (checked against what the bot posted). */
export function clickedOn(body: BlockAction): ClickedOn {
  return {
    channel: body.channel?.id ?? body.container?.channel_id,
    ts: body.message?.ts ?? body.container?.message_ts,
  };
}
