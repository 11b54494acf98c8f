/**
 * Plays Slack's side of requests to the bot: slash commands, button clicks, modal submissions and
 * events, each signed exactly as Slack signs them (v0, HMAC-SHA256 over "v0:<ts>:<body>" with the
 * signing secret, timestamp in X-Slack-Request-Timestamp).
 */
import { createHmac } from 'node:crypto';

export interface DriverResponse {
  status: number;
  body: string;
  ms: number;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export class SlackDriver {
  private responseNo = 0;

  constructor(
    private readonly botUrl: string,
    private readonly signingSecret: string,
    private readonly responseBase: string,
    readonly channel: string,
  ) {}

  async send(
    body: string,
    contentType: string,
    options: { secret?: string; timestamp?: number } = {},
  ): Promise<DriverResponse> {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const started = Date.now();
    const res = await fetch(`${this.botUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(options.secret ?? this.signingSecret, timestamp, body),
      },
      body,
    });
    return { status: res.status, body: await res.text(), ms: Date.now() - started };
  }

  command(command: string, userId: string, text = ''): Promise<DriverResponse> {
    const form = new URLSearchParams({
      token: 'legacy-token-unused',
      team_id: 'T0STUDY',
      team_domain: 'study',
      channel_id: this.channel,
      channel_name: 'study-mail',
      user_id: userId,
      user_name: userId.toLowerCase(),
      command,
      text,
      api_app_id: 'A0APP',
      response_url: `${this.responseBase}/response/${++this.responseNo}`,
      trigger_id: `trigger.${this.responseNo}`,
    });
    return this.send(form.toString(), 'application/x-www-form-urlencoded');
  }

  private interactive(payload: Record<string, unknown>): Promise<DriverResponse> {
    return this.send(
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      'application/x-www-form-urlencoded',
    );
  }

  /** What every interactive payload from this user carries. */
  private from(userId: string): Record<string, unknown> {
    return {
      api_app_id: 'A0APP',
      token: 'legacy-token-unused',
      team: { id: 'T0STUDY', domain: 'study' },
      user: { id: userId, username: userId.toLowerCase(), team_id: 'T0STUDY' },
      trigger_id: `trigger.${Date.now()}`,
    };
  }

  click(actionId: string, value: string, userId: string, messageTs: string): Promise<DriverResponse> {
    return this.interactive({
      ...this.from(userId),
      type: 'block_actions',
      container: { type: 'message', message_ts: messageTs, channel_id: this.channel, is_ephemeral: false },
      channel: { id: this.channel, name: 'study-mail' },
      message: { ts: messageTs, type: 'message', text: '' },
      response_url: `${this.responseBase}/response/action`,
      actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: String(Date.now() / 1000) }],
    });
  }

  submitView(
    callbackId: string,
    privateMetadata: string,
    values: Record<string, Record<string, { type: string; value: string | null }>>,
    userId: string,
  ): Promise<DriverResponse> {
    return this.interactive({
      ...this.from(userId),
      type: 'view_submission',
      view: {
        id: 'V1',
        type: 'modal',
        callback_id: callbackId,
        private_metadata: privateMetadata,
        state: { values },
        hash: 'h',
        team_id: 'T0STUDY',
        app_id: 'A0APP',
        bot_id: 'B0BOT',
      },
    });
  }

  event(event: Record<string, unknown>): Promise<DriverResponse> {
    return this.send(
      JSON.stringify({
        token: 'legacy-token-unused',
        team_id: 'T0STUDY',
        api_app_id: 'A0APP',
        type: 'event_callback',
        event_id: `Ev${Date.now()}`,
        event_time: Math.floor(Date.now() / 1000),
        event,
      }),
      'application/json',
    );
  }
}
