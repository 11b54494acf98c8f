/**
 * Slash commands, straight from the registry: every command with a `slash` name is served. Each
 * acks at once (Slack gives 3 s) and does the work afterwards; results are ephemeral, except
 * /mail-dry-run's approval request, which goes to the team's channel.
 */
import { parseArgs } from 'node:util';
import type { App, RespondFn } from '@slack/bolt';
import { commands } from '../../../commands/index.js';
import type { CommandSpec } from '../../command.js';
import { JobRefusedError, UsageError } from '../../errors.js';
import { codeBlock, escapeMrkdwn, section } from '../blocks.js';
import type { StudyBot } from '../study-bot.js';

/** The registry's slash commands: what manifest.yml must list. */
export function slashCommands(): { slash: string; spec: CommandSpec }[] {
  return commands.filter((c) => c.slash !== undefined).map((spec) => ({ slash: spec.slash!, spec }));
}

function parseSlashText(spec: CommandSpec, text: string, bot: StudyBot): unknown {
  const args = text.trim() === '' ? [] : text.trim().split(/\s+/);
  let parsed;
  try {
    const flags = Object.fromEntries(Object.entries(spec.flags).map(([flag, f]) => [flag, { type: f.type }]));
    parsed = parseArgs({ args, options: flags, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message}. Usage: ${spec.slash} ${spec.usage.split(' ').slice(1).join(' ')}`,
    );
  }
  return spec.parse(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals, {
    config: bot.config,
    now: bot.now,
  });
}

async function reply(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', text: text.slice(0, 3000), blocks: [section(codeBlock(text))] });
}

async function runSlash(
  bot: StudyBot,
  spec: CommandSpec,
  text: string,
  userId: string,
  respond: RespondFn,
): Promise<void> {
  const actor = `slack:${userId}`;
  try {
    const options = parseSlashText(spec, text, bot);
    if (spec.name === 'send-daily') {
      // /mail-dry-run: the preview, and its approval request in the channel.
      const { reportDate } = options as { reportDate: string };
      const { run, text: summary } = await bot.prepareAndPost(reportDate, actor);
      await respond({
        response_type: 'ephemeral',
        text: `Posted the approval request for ${run.report_date} in <#${bot.channel}>.\n${summary}`.slice(0, 3000),
        blocks: [
          section(`Posted the approval request for ${run.report_date} in <#${bot.channel}>.`),
          section(codeBlock(summary)),
        ],
      });
      return;
    }
    const output = await spec.run(bot.context(actor), options);
    await reply(respond, output.text);
  } catch (error) {
    const known = error instanceof UsageError || error instanceof JobRefusedError;
    if (!known)
      bot.logger.error(
        { command: spec.name, error: (error as Error).message, stack: (error as Error).stack },
        'slash command failed',
      );
    await respond({
      response_type: 'ephemeral',
      text: `:warning: ${escapeMrkdwn(known ? error.message : `${spec.slash} failed unexpectedly (${(error as Error).message}); the bot's log has the details.`)}`,
    });
  }
}

export function registerSlashCommands(app: App, bot: StudyBot): void {
  for (const { slash, spec } of slashCommands()) {
    app.command(slash, async ({ command, ack, respond }) => {
      if (!bot.config.SLACK_OPERATOR_IDS.includes(command.user_id)) {
        await ack({
          response_type: 'ephemeral',
          text: `Sorry, ${slash} is for the study's operators only (SLACK_OPERATOR_IDS). Ask a study coordinator to add you.`,
        });
        return;
      }
      if (bot.stopping) {
        await ack({ response_type: 'ephemeral', text: 'The bot is restarting; try again in a minute.' });
        return;
      }
      await ack({
        response_type: 'ephemeral',
        text: `Running \`${slash}${command.text ? ` ${escapeMrkdwn(command.text)}` : ''}\`…`,
      });
      void bot.background(slash, () => runSlash(bot, spec, command.text, command.user_id, respond));
    });
  }
}
