import type { App } from '@slack/bolt';
import { status } from '../../../commands/status.js';
import { yesterdayIn } from '../../util/dates.js';
import type { StudyBot } from '../study-bot.js';
import { homeView } from '../views/home.js';

/** App Home is rebuilt from the `status` command's result each time someone opens it. */
export function registerHome(app: App, bot: StudyBot, nextJobs: () => { name: string; at: Date | null }[]): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const day = await status.run(bot.context(`slack:${event.user}`), {
      reportDate: yesterdayIn(bot.config.STUDY_TZ, bot.now()),
    });
    await client.views.publish({ user_id: event.user, view: homeView(day, nextJobs(), bot.config.STUDY_TZ) });
  });
}
