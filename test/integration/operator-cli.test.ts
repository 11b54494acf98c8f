/** What operators read on the command line (issue 10, points 9 and 11). */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { status } from '../../commands/status.js';
import { execute } from '../../src/command.js';
import { sendLockName } from '../../src/storage/locks.js';
import { addDays } from '../../src/util/dates.js';
import { testContext } from '../support/context.js';
import { cli, makeWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace | undefined;

const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) console.warn('terminal test skipped: script(1) is missing (apt-get install bsdutils)');
const CLI_PATH = resolve(import.meta.dirname, '../../dist/mail-updater.cjs');

/** Runs a shell command on a pseudo-terminal (script(1)); returns what it printed. */
function runScript(command: string, env: Record<string, string>, cwd: string): Promise<string> {
  return new Promise((resolvePromise) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => resolvePromise(out));
  });
}
afterEach(() => ws?.cleanup());

describe('what the CLI says', () => {
  it('--version prints the package version; --help shows the Slack forms; serve --help does not start the bot', async () => {
    ws = makeWorkspace();
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    const version = await cli(['--version'], {}, ws.dir);
    expect([version.code, version.stdout.trim()]).toEqual([0, pkg.version]);
    const help = await cli(['--help'], {}, ws.dir);
    expect(help.stdout).toContain('(Slack: /mail-help)');
    // No Slack settings: starting would exit 2 naming them; --help must print usage instead.
    const serveHelp = await cli(['serve', '--help'], {}, ws.dir);
    expect(serveHelp.code).toBe(0);
    expect(serveHelp.stdout).toContain('Usage: npx mail-updater serve');
    expect(serveHelp.stderr).toBe('');
  });

  it('unknown options and missing values get our message, not the parser raw text', async () => {
    ws = makeWorkspace();
    const unknown = await cli(['status', '--colour'], ws.env, ws.dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(
      "Unknown option '--colour'. Run `npx mail-updater status --help` for its options.",
    );
    const missing = await cli(['validate-participants', '--date'], ws.env, ws.dir);
    expect(missing.stderr.trim()).toBe(
      "Option '--date' needs a value. Run `npx mail-updater validate-participants --help` for its options.",
    );
  });

  it('warns about a look-alike setting in .env, naming the file and the real setting', async () => {
    ws = makeWorkspace();
    writeFileSync(join(ws.dir, '.env'), 'SMPT_HOST=smtp.example.org\nMAIL_FORM=study@example.org\n');
    const result = await cli(['validate-participants'], ws.env, ws.dir);
    expect(result.stderr).toContain(`settings read from ${join(ws.dir, '.env')}`);
    expect(result.stderr).toContain('SMPT_HOST is not a mail-updater setting (ignored); did you mean SMTP_HOST?');
    expect(result.stderr).toContain('MAIL_FORM is not a mail-updater setting (ignored); did you mean MAIL_FROM?');
  });

  it('a configuration error says which .env was read (it is relative to the current directory)', async () => {
    ws = makeWorkspace();
    const bad = { ...ws.env, SEND_DEADLINE: '25:99' };
    const without = await cli(['validate-participants'], bad, ws.dir);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain(
      `settings were read from the environment only, as there is no ${join(ws.dir, '.env')}:`,
    );
    expect(without.stderr).toContain('SEND_DEADLINE');
    writeFileSync(join(ws.dir, '.env'), 'SEND_DEADLINE=25:99\n');
    const withFile = await cli(['validate-participants', '--json'], ws.env, ws.dir);
    expect(withFile.code).toBe(2);
    const error = (JSON.parse(withFile.stdout) as { error: { message: string } }).error;
    expect(error.message).toContain(`settings were read from ${join(ws.dir, '.env')} and the environment:`);
    const help = await cli(['--help'], {}, ws.dir);
    expect(help.stdout).toContain(`here: ${join(ws.dir, '.env')} and the environment`);
  });

  it.skipIf(!hasScript)(
    'on a terminal, info log lines stay out of the human output; piped, they are kept',
    async () => {
      ws = makeWorkspace();
      const { LOG_LEVEL: _unset, ...env } = ws.env;
      const piped = await cli(['send-daily', '--dry-run'], env, ws.dir);
      expect(piped.stderr).toContain('"msg":"dry run planned"');
      // script(1) gives the CLI a real pseudo-terminal; everything it prints comes back on stdout.
      const command = [process.execPath, CLI_PATH, 'send-daily', '--dry-run'].map((a) => `'${a}'`).join(' ');
      const terminalEnv = { ...env, PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
      const onTerminal = await runScript(command, terminalEnv, ws.dir);
      expect(onTerminal).toContain('Next:');
      expect(onTerminal).not.toContain('"level":');
      // LOG_LEVEL set explicitly still wins on a terminal.
      const verbose = await runScript(command, { ...terminalEnv, LOG_LEVEL: 'info' }, ws.dir);
      expect(verbose).toContain('"msg":"dry run planned"');
    },
  );

  it('never creates the demo fixture once a data variable is set', async () => {
    ws = makeWorkspace();
    const env = { STUDY_TZ: ws.env.STUDY_TZ!, LOG_LEVEL: 'silent', COMPLIANCE_DB_PATH: ws.fixture.dbPath };
    const result = await cli(['validate-participants'], env, ws.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PARTICIPANTS_CSV_PATH=fixtures/participants.csv does not exist');
    expect(existsSync(join(ws.dir, 'fixtures'))).toBe(false);
  });

  it('a dry run past SEND_DEADLINE says the day can no longer be sent, not "Next: send"', async () => {
    ws = makeWorkspace();
    const late = await cli(['send-daily', '--dry-run', '--date', addDays(ws.reportDate, -2)], ws.env, ws.dir);
    expect(late.stdout).toContain('can no longer be sent');
    expect(late.stdout).not.toContain('Next: review the previews');
    const onTime = await cli(['send-daily', '--dry-run', '--json'], ws.env, ws.dir);
    expect(JSON.parse(onTime.stdout)).toMatchObject({ past_send_deadline: false });
  });

  it('status shows a sender whose process is gone as stopped, not as sending', async () => {
    ws = makeWorkspace();
    const t = testContext(ws);
    try {
      const at = new Date().toISOString();
      t.db()
        .prepare('INSERT INTO locks (name, owner, pid, host, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(sendLockName(ws.reportDate), 'gone', 2 ** 30, hostname(), at, at);
      const out = await execute(status, t.ctx, { reportDate: ws.reportDate });
      expect(out.json).toMatchObject({ sending_now: null, sender_stopped: { pid: 2 ** 30 } });
      expect(out.text).toContain('Sender STOPPED');
      expect(out.text).not.toContain('Sending now');
    } finally {
      t.close();
    }
  });
});
