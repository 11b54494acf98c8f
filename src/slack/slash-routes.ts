/**
 * What each slash command does in Slack: the registry's command run on behalf of the user, its
 * typed result rendered as Block Kit. /mail-dry-run is the one that does more than answer: its
 * preview becomes the approval request in the team's channel.
 */
import { commands } from '../../commands/index.js';
import { report } from '../../commands/report.js';
import { sendDaily } from '../../commands/send-daily.js';
import { status } from '../../commands/status.js';
import { validateParticipants, validationText } from '../../commands/validate-participants.js';
import { type Command, type DefinedCommand, execute, type ParsedArgs } from '../command.js';
import { addressesMasked, type Block, codeBlock, section } from './blocks.js';
import { postReport } from './report-job.js';
import type { StudyBot } from './study-bot.js';
import { statusBlocks } from './views/status.js';

export interface SlashReply {
  text: string;
  blocks: Block[];
}

export interface SlashRoute {
  slash: string;
  command: Command;
  handle(bot: StudyBot, args: ParsedArgs, actor: string): Promise<SlashReply>;
}

/** The notification text is masked like the blocks: an address never reaches Slack in full. */
const textReply = (text: string): SlashReply => ({
  text: addressesMasked(text).slice(0, 3000),
  blocks: [section(codeBlock(text))],
});

/** A command whose typed result has a Block Kit view of its own. */
function withView<Options, Data>(
  command: DefinedCommand<Options, Data>,
  view: (data: Data) => Block[],
): Omit<SlashRoute, 'slash'> {
  return {
    command,
    async handle(bot, args, actor) {
      const ctx = bot.context(actor);
      const output = await execute(command, ctx, command.parse(args.flags, args.positionals, ctx));
      return { text: output.text.slice(0, 3000), blocks: view(output.data) };
    },
  };
}

const dryRunRoute: Omit<SlashRoute, 'slash'> = {
  command: sendDaily,
  async handle(bot, args, actor) {
    const { reportDate } = sendDaily.parse(args.flags, args.positionals, bot);
    const { run, text } = await bot.prepareAndPost(reportDate, actor);
    const posted = `Posted the approval request for ${run.report_date} in <#${bot.channel}>.`;
    return { text: `${posted}\n${text}`.slice(0, 3000), blocks: [section(posted), section(codeBlock(text))] };
  },
};

/** Findings in Slack name row, column, DID and code only: never a roster cell's value. */
const validateRoute: Omit<SlashRoute, 'slash'> = {
  command: validateParticipants,
  async handle(bot, args, actor) {
    const ctx = bot.context(actor);
    const output = await execute(
      validateParticipants,
      ctx,
      validateParticipants.parse(args.flags, args.positionals, ctx),
    );
    return textReply(validationText(output.data, false));
  },
};

/** The picture goes to the channel for the team; the reply to the user says where. */
const reportRoute: Omit<SlashRoute, 'slash'> = {
  command: report,
  async handle(bot, args, actor) {
    const { days } = report.parse(args.flags, args.positionals, bot);
    const result = await postReport(bot, actor, days);
    const posted = `Posted the report for ${result.from} to ${result.to} in <#${bot.channel}>.`;
    return {
      text: `${posted}\n${result.altText}`.slice(0, 3000),
      blocks: [section(posted), section(codeBlock(result.altText))],
    };
  },
};

const special = new Map<Command, Omit<SlashRoute, 'slash'>>([
  [validateParticipants, validateRoute],
  [sendDaily, dryRunRoute],
  [status, withView(status, statusBlocks)],
  [report, reportRoute],
]);

/** The registry's slash commands, each with its Slack handling: what manifest.yml must list. */
export function slashRoutes(): SlashRoute[] {
  return commands.flatMap((command) => {
    if (command.slash === undefined) return [];
    const route = special.get(command) ?? {
      command,
      handle: async (bot: StudyBot, args: ParsedArgs, actor: string) =>
        textReply((await command.invoke(bot.context(actor), args)).text),
    };
    return [{ slash: command.slash, ...route }];
  });
}
