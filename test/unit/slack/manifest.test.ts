import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { slashRoutes } from '../../../src/slack/slash-routes.js';

interface Manifest {
  features: {
    slash_commands: { command: string; url: string; description: string }[];
    app_home: { home_tab_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url: string };
    socket_mode_enabled: boolean;
    event_subscriptions: { bot_events: string[] };
  };
}

const manifest = parse(readFileSync(resolve(import.meta.dirname, '../../../manifest.yml'), 'utf8')) as Manifest;

describe('manifest.yml', () => {
  it('lists exactly the slash commands of the command registry', () => {
    expect(manifest.features.slash_commands.map((c) => c.command).sort()).toEqual(
      slashRoutes()
        .map((c) => c.slash)
        .sort(),
    );
    for (const c of manifest.features.slash_commands) {
      expect(c.url).toMatch(/\/slack\/events$/);
      expect(c.description.length).toBeLessThanOrEqual(100);
    }
  });

  it('enables what the bot uses: interactivity, App Home, its events, the scopes of its calls, the Socket Mode flag', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual(['chat:write', 'commands', 'files:write']);
    expect(typeof manifest.settings.socket_mode_enabled).toBe('boolean');
  });
});
