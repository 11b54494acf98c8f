/**
 * The layers (README, "Development"): a module imports only from its own floor or below, and SQL
 * lives only in src/storage (our state DB) and src/compliance (the pipeline's DB). These tests
 * read the import statements of every source file, so a shortcut across floors fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Lowest first. A path matches the first prefix that begins it. */
const FLOORS: readonly (readonly string[])[] = [
  ['src/util/', 'src/vendor/', 'src/errors.ts', 'src/logger.ts', 'src/finding.ts', 'src/secrets.ts'],
  // fixtures/ builds a stand-in for the pipeline's database, so it sits beside compliance/.
  ['src/storage/', 'src/mail/', 'src/roster/', 'src/compliance/', 'fixtures/'],
  ['src/config.ts'],
  [
    'src/validation/',
    'src/qualtrics/',
    'src/planning/',
    'src/sending/',
    'src/outbox/',
    'src/bounces/',
    'src/report/',
    'src/metrics/',
  ],
  ['src/command.ts', 'commands/'],
  ['src/cli.ts', 'src/slack/', 'src/schedule.ts', 'src/serve.ts', 'src/health/'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

function floorOf(path: string): number {
  const floor = FLOORS.findIndex((prefixes) => prefixes.some((p) => path === p || path.startsWith(p)));
  if (floor === -1) throw new Error(`${path} is on no floor; add it to FLOORS (and to the README's layer list).`);
  return floor;
}

/** Relative imports of a file, resolved to repository paths (`.js` specifiers name `.ts` files). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)].map((m) => m[1]!);
  const dynamic = [...text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1]!);
  return [...specifiers, ...dynamic].map((s) => normalize(join(dirname(file), s)).replace(/\.js$/, '.ts'));
}

const files = [...sourceFiles('src'), ...sourceFiles('commands'), ...sourceFiles('fixtures')];

describe('layers', () => {
  it('finds the source tree and its imports (the checks below would pass vacuously otherwise)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(importsOf('src/slack/study-bot.ts')).toContain('src/storage/runs.ts');
  });

  it('every source file is on a floor', () => {
    for (const file of files) expect(() => floorOf(file), file).not.toThrow();
  });

  it('no module imports from a floor above its own', () => {
    const upward = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => floorOf(target) > floorOf(file))
        .map((target) => `${file} (floor ${floorOf(file)}) imports ${target} (floor ${floorOf(target)})`),
    );
    expect(upward).toEqual([]);
  });

  it('no import cycles (a cycle hides which module owns what)', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => files.includes(t))]));
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('the rule catches an upward import', () => {
    expect(floorOf('src/storage/runs.ts')).toBeLessThan(floorOf('src/config.ts'));
    expect(floorOf('commands/status.ts')).toBeLessThan(floorOf('src/slack/app.ts'));
  });
});

describe('SQL', () => {
  const sql = /\.prepare\(|\.exec\(\s*['"`](?:BEGIN|COMMIT|ROLLBACK|PRAGMA|CREATE|INSERT|UPDATE|DELETE|SELECT)/;
  const allowed = ['src/storage/', 'src/compliance/', 'fixtures/'];

  it('is written only in src/storage and src/compliance', () => {
    const outside = files.filter(
      (f) => !allowed.some((p) => f.startsWith(p)) && sql.test(readFileSync(join(root, f), 'utf8')),
    );
    expect(outside).toEqual([]);
  });

  it('the pattern recognises a prepared statement', () => {
    expect(sql.test("db.prepare('SELECT 1')")).toBe(true);
    expect(sql.test("db.exec('BEGIN')")).toBe(true);
    expect(sql.test('/x/.exec(value)')).toBe(false);
  });
});
