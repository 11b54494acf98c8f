/** A command's output: its text and its JSON are rendered when read, once each. */
import { describe, expect, it } from 'vitest';
import { type CommandContext, defineCommand } from '../../src/command.js';
import { loadConfig } from '../../src/config.js';
import { ExitCode } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';

describe('command output', () => {
  it('renders the text and the JSON only when a front end reads them, and once', async () => {
    const rendered: string[] = [];
    const command = defineCommand({
      name: 'probe',
      summary: 'A command for this test.',
      usage: 'probe',
      flags: {},
      parse: () => ({}),
      run: async () => ({ n: 3 }),
      exitCode: (data) => (data.n > 0 ? ExitCode.ok : ExitCode.problemsFound),
      text: (data) => {
        rendered.push('text');
        return `n is ${data.n}`;
      },
      json: (data) => {
        rendered.push('json');
        return { n: data.n };
      },
    });
    const ctx: CommandContext = {
      config: loadConfig({}),
      logger: silentLogger(),
      now: () => new Date(),
      actor: 'test',
      stateDb: () => {
        throw new Error('not used');
      },
    };
    const output = await command.invoke(ctx, { flags: {}, positionals: [] });
    expect(output.exitCode).toBe(ExitCode.ok);
    expect(rendered).toEqual([]);
    expect(output.json).toEqual({ n: 3 });
    expect(output.json).toEqual({ n: 3 });
    expect(rendered).toEqual(['json']);
    expect(output.text).toBe('n is 3');
    expect(output.text).toBe('n is 3');
    expect(rendered).toEqual(['json', 'text']);
  });
});
