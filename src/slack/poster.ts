/**
 * Every message the bot writes to Slack goes through here. Slack allows about one message per
 * second per channel; posts to a channel are queued and spaced so a burst (20 failure replies,
 * then a summary) never trips the limit. A 429 that happens anyway is retried by the Web API
 * client after its Retry-After. Texts are masked for addresses on the way out, whatever built them.
 */
import type { webApi } from '@slack/bolt';
import { UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { addressesMasked, type Block } from './blocks.js';

type WebClient = webApi.WebClient;

export interface PosterOptions {
  /** Minimum time between two posts to the same channel. */
  postIntervalMs: number;
}

export interface MessageContent {
  text: string;
  blocks?: Block[];
}

/** Slack's terse channel errors, turned into what to do about them. */
function explainChannelError(error: unknown, channel: string): Error {
  const code = (error as { data?: { error?: string } }).data?.error;
  if (code === 'not_in_channel')
    return new UsageError(
      `The bot is not in the channel ${channel}: invite it there (/invite @mail-updater) and try again.`,
      'slack_channel',
    );
  if (code === 'channel_not_found')
    return new UsageError(
      `Slack does not know the channel ${channel}: check SLACK_CHANNEL_ID (the channel's ID, C..., not its name) and that the bot can see it.`,
      'slack_channel',
    );
  if (code === 'is_archived')
    return new UsageError(
      `The channel ${channel} is archived: unarchive it or point SLACK_CHANNEL_ID at another one.`,
      'slack_channel',
    );
  return error instanceof Error ? error : new Error(String(error));
}

export class SlackPoster {
  private readonly lastPost = new Map<string, Promise<number>>();

  constructor(
    readonly client: WebClient,
    private readonly logger: Logger,
    private readonly options: PosterOptions = { postIntervalMs: 1100 },
  ) {}

  /** Posts to a channel (or a thread) in turn with other posts there; returns the message ts. */
  async post(channel: string, content: MessageContent, threadTs?: string): Promise<string> {
    const result = await this.paced(channel, () =>
      this.client.chat
        .postMessage({
          channel,
          text: addressesMasked(content.text),
          ...(content.blocks ? { blocks: content.blocks } : {}),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: false,
        })
        .catch((error: unknown) => {
          throw explainChannelError(error, channel);
        }),
    );
    if (typeof result.ts !== 'string') throw new Error(`chat.postMessage to ${channel} returned no ts`);
    return result.ts;
  }

  async update(channel: string, ts: string, content: MessageContent): Promise<void> {
    await this.client.chat.update({
      channel,
      ts,
      text: addressesMasked(content.text),
      ...(content.blocks ? { blocks: content.blocks } : {}),
    });
  }

  async ephemeral(channel: string, user: string, text: string): Promise<void> {
    try {
      await this.client.chat.postEphemeral({ channel, user, text: addressesMasked(text) });
    } catch (error) {
      // The bot may not be in that channel (a DM, a private channel): log it, never crash a click.
      this.logger.warn({ channel, user, error: (error as Error).message }, 'could not post an ephemeral reply');
    }
  }

  /** A CSV in a thread, through files.uploadV2 (getUploadURLExternal → upload → completeUploadExternal). */
  async uploadCsv(channel: string, threadTs: string, filename: string, csv: string, comment: string): Promise<void> {
    await this.paced(channel, () =>
      this.client.files.uploadV2({
        channel_id: channel,
        thread_ts: threadTs,
        filename,
        title: filename,
        file: Buffer.from(csv, 'utf8'),
        initial_comment: addressesMasked(comment),
      }),
    );
  }

  /** A picture in the channel, with its alt text for screen readers (Slack allows 1000 characters). */
  async uploadPng(channel: string, filename: string, png: Buffer, altText: string, comment: string): Promise<void> {
    await this.paced(channel, () =>
      this.client.files
        .uploadV2({
          channel_id: channel,
          filename,
          title: filename,
          file: png,
          alt_text: addressesMasked(altText).slice(0, 1000),
          initial_comment: addressesMasked(comment),
        })
        .catch((error: unknown) => {
          throw explainChannelError(error, channel);
        }),
    );
  }

  private async paced<T>(channel: string, call: () => Promise<T>): Promise<T> {
    const previous = this.lastPost.get(channel) ?? Promise.resolve(0);
    let release!: (at: number) => void;
    const mine = new Promise<number>((resolve) => (release = resolve));
    this.lastPost.set(channel, mine);
    const lastAt = await previous;
    const wait = lastAt + this.options.postIntervalMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      return await call();
    } finally {
      release(Date.now());
    }
  }
}
