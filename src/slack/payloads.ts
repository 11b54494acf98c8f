/**
 * What the bot reads back from its own buttons and modals. Slack returns these strings as we
 * set them, but they arrive over the network: each is parsed against its schema, and anything
 * else is answered with "not a request from this bot" rather than an exception in a listener.
 */
import type * as Zod from 'zod/mini';
import { requireZod } from '../util/commonjs.js';

const { z } = requireZod();

const runId = z.string().check(z.minLength(1), z.maxLength(100));

export const ticketRefSchema = z.object({ runId, did: z.string().check(z.minLength(1), z.maxLength(200)) });
/** The metadata of the forms opened from a run's request (reject reason, resend chooser). */
export const runFormMetadataSchema = z.object({ runId, channel: z.string().check(z.maxLength(100)) });

export type TicketRefPayload = Zod.infer<typeof ticketRefSchema>;
export type RunFormMetadata = Zod.infer<typeof runFormMetadataSchema>;

/** The run ID an Approve/Reject button carries. */
export function parseRunId(value: string | undefined): string | undefined {
  const parsed = runId.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A JSON payload (a button value, a modal's private_metadata) checked against its schema. */
export function parseJsonPayload<T>(schema: Zod.ZodMiniType<T>, raw: string | undefined): T | undefined {
  if (raw === undefined || raw.length > 3000) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export const NOT_OURS =
  'That button or form did not come from this bot, or is from an older version of it; nothing was done.';
