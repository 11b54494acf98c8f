/**
 * Slash commands, straight from the registry: every command with a `slash` name is served. Each
 * acks at once (Slack gives 3 s) and does the work afterwards; results are ephemeral, except
 * /mail-dry-run's approval request, which goes to the team's channel.
 */
import type { App, RespondFn } from '@slack/bolt';
import { parseCommandArgs } from '../../command.js';
import { JobRefusedError, UsageError } from '../../errors.js';
import { escapeMrkdwn } from '../blocks.js';
import { type SlashRoute, slashRoutes } from '../slash-routes.js';
import type { StudyBot } from '../study-bot.js';

async function runSlash(
  bot: StudyBot,
  route: SlashRoute,
  text: string,
  userId: string,
  respond: RespondFn,
): Promise<void> {
  try {
    const usage = `Usage: ${route.slash} ${route.command.usage.split(' ').slice(1).join(' ')}`;
    const args = parseCommandArgs(route.command, text.trim() === '' ? [] : text.trim().split(/\s+/), usage);
    const reply = await route.handle(bot, args, `slack:${userId}`);
    await respond({ response_type: 'ephemeral', ...reply });
  } catch (error) {
    const known = error instanceof UsageError || error instanceof JobRefusedError;
    if (!known)
      bot.logger.error(
        { command: route.command.name, error: (error as Error).message, stack: (error as Error).stack },
        'slash command failed',
      );
    await respond({
      response_type: 'ephemeral',
      text: `:warning: ${escapeMrkdwn(known ? error.message : `${route.slash} failed unexpectedly (${(error as Error).message}); the bot's log has the details.`)}`,
    });
  }
}

export function registerSlashCommands(app: App, bot: StudyBot): void {
  for (const route of slashRoutes()) {
    const { slash } = route;
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
      void bot.background(slash, () => runSlash(bot, route, command.text, command.user_id, respond));
    });
  }
}
