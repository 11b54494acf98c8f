/**
 * The CLI's logger is made at its first line at LOG_LEVEL or above (deferredLogger): until then
 * pino is not loaded, and after it the lines are pino's own, with the children's bindings and
 * the redaction.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, deferredLogger } from '../../src/logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

/** A deferred logger at `level` over a captured stream, counting how often it made pino's. */
function counted(level: string) {
  const { stream, lines } = capture();
  let made = 0;
  const logger = deferredLogger(level, () => {
    made++;
    return createLogger(level, stream);
  });
  return { logger, lines, made: () => made };
}

describe('deferredLogger', () => {
  it('makes no logger for lines below its level, children, or questions about the level', () => {
    const { logger, lines, made } = counted('warn');
    const child = logger.child({ command: 'validate-participants' });
    child.info('not shown');
    child.debug({ x: 1 }, 'not shown');
    logger.trace('not shown');
    expect(child.level).toBe('warn');
    expect(child.isLevelEnabled('info')).toBe(false);
    expect(child.isLevelEnabled('error')).toBe(true);
    expect(made()).toBe(0);
    expect(lines()).toEqual([]);
  });

  it("logs at its level and above as pino does, with the children's bindings and secrets redacted", () => {
    const { logger, lines, made } = counted('info');
    const child = logger.child({ command: 'send-daily' }).child({ component: 'plan' });
    child.debug('not shown');
    child.info({ run_id: 'r1', password: 'hunter2' }, 'dry run planned');
    logger.error('failed');
    child.info('again');
    expect(made()).toBe(1);
    expect(lines()).toMatchObject([
      {
        level: 30,
        app: 'mail-updater',
        command: 'send-daily',
        component: 'plan',
        run_id: 'r1',
        password: '[redacted]',
        msg: 'dry run planned',
      },
      { level: 50, msg: 'failed' },
      { level: 30, command: 'send-daily', component: 'plan', msg: 'again' },
    ]);
    expect(lines()[1]).not.toHaveProperty('command');
  });

  it('passes anything else to the logger it makes (a level set, bindings read)', () => {
    const { stream, lines } = capture();
    const logger = deferredLogger('warn', () => createLogger('warn', stream)).child({ command: 'status' });
    logger.level = 'info';
    logger.info('now shown');
    expect(logger.bindings()).toEqual({ app: 'mail-updater', command: 'status' });
    expect(lines()).toMatchObject([{ level: 30, command: 'status', msg: 'now shown' }]);
  });

  it("follows a level set on the parent, as pino's children do, and answers `in` and its keys as pino", () => {
    const { stream, lines } = capture();
    const logger = deferredLogger('info', () => createLogger('info', stream));
    const child = logger.child({ command: 'serve' });
    logger.level = 'debug';
    child.debug('shown at the parent level');
    expect(lines()).toMatchObject([{ level: 20, command: 'serve', msg: 'shown at the parent level' }]);
    const fresh = deferredLogger('info', () => createLogger('info', stream));
    expect('info' in fresh).toBe(true);
    expect(Object.keys(fresh).sort()).toEqual(Object.keys(createLogger('info', stream)).sort());
  });

  it('leaves pino unloaded in the built package until a line is logged', () => {
    const logger = join(import.meta.dirname, '../../dist/src/logger.js');
    const script = `
      import { createRequire } from 'node:module';
      const { deferredLogger } = await import(${JSON.stringify(logger)});
      const pinoLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/pino/'));
      const log = deferredLogger('warn').child({ command: 'validate-participants' });
      log.info('below the level');
      const before = pinoLoaded();
      log.warn('shown');
      console.log(JSON.stringify({ before, after: pinoLoaded() }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ before: false, after: true });
    expect(run.stderr).toContain('"msg":"shown"');
    expect(run.stderr).not.toContain('below the level');
  });
});
