import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { COMPLIANCE_SCHEMA } from '../../../fixtures/generate.js';
import { loadQuery } from '../../../src/compliance/db.js';
import { UsageError } from '../../../src/errors.js';
import { checkTemplates, loadTemplates, printedFields, renderTemplates } from '../../../src/mail/templates.js';
import { derivedFieldsFor } from '../../../src/mail/view-model.js';

function templateDir(files: { subject: string; text: string; html: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mu-templates-'));
  writeFileSync(join(dir, 'subject.txt'), files.subject);
  writeFileSync(join(dir, 'body.txt'), files.text);
  writeFileSync(join(dir, 'body.html'), files.html);
  return dir;
}

describe('templates', () => {
  it('escapes fields in HTML but not in text or subject', () => {
    const templates = loadTemplates(
      templateDir({ subject: 'Hi {{first_name}}', text: 'Hi {{first_name}}', html: '<p>Hi {{first_name}}</p>' }),
    );
    const out = renderTemplates(templates, { first_name: '<b>Tom & "Jerry"</b>' });
    expect(out.html).toBe('<p>Hi &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;&#x2F;b&gt;</p>');
    expect(out.text).toBe('Hi <b>Tom & "Jerry"</b>');
    expect(out.subject).toBe('Hi <b>Tom & "Jerry"</b>');
  });

  it('names every field a template uses that is not provided, per file', () => {
    const templates = loadTemplates(
      templateDir({
        subject: '{{report_date}} {{nickname}}',
        text: '{{#streak}}{{days}}{{/streak}}',
        html: '{{{first_name}}}',
      }),
    );
    const problems = checkTemplates(templates, new Set(['report_date', 'first_name']));
    expect(problems).toEqual([
      {
        part: 'subject',
        message: 'subject.txt uses {{nickname}}, which neither the compliance query nor the roster provides.',
      },
      {
        part: 'text',
        message: 'body.txt uses {{streak}}, which neither the compliance query nor the roster provides.',
      },
      { part: 'text', message: 'body.txt uses {{days}}, which neither the compliance query nor the roster provides.' },
    ]);
  });

  it('an unclosed section has its own code, naming file, line, column and the tag as written', () => {
    const templates = loadTemplates(templateDir({ subject: 'x', text: 'Hi\n  {{#open}} never closed', html: 'x' }));
    expect(checkTemplates(templates, new Set(['open']))).toEqual([
      {
        part: 'text',
        code: 'template_section_unclosed',
        message: 'body.txt line 2, column 3: {{#open}} opens a section that is never closed; add {{/open}}.',
      },
    ]);
  });

  it('names a tag missing a brace as written, not as a field name running on to the next tag', () => {
    const templates = loadTemplates(
      templateDir({ subject: 'x', text: 'Hello {{first_name},\nyour streak is {{streak_days}}.', html: 'x' }),
    );
    expect(checkTemplates(templates, new Set(['first_name', 'streak_days']))).toEqual([
      {
        part: 'text',
        code: 'template_tag_unclosed',
        message: 'body.txt line 1, column 7: {{first_name}, is not closed; write it as {{name}}.',
      },
    ]);
  });

  it('refuses partials and mismatched section ends; comments may span lines', () => {
    const templates = loadTemplates(
      templateDir({
        subject: '{{! a comment\nover two lines }}Update',
        text: '{{> footer}}',
        html: '{{#a}}\n{{/b}}',
      }),
    );
    expect(checkTemplates(templates, new Set(['a', 'b'])).map((p) => [p.part, p.code, p.message])).toEqual([
      [
        'text',
        'template_partial',
        expect.stringMatching(/^body.txt line 1, column 1: {{> footer}} includes a partial/),
      ],
      [
        'html',
        'template_section_mismatch',
        'body.html line 2, column 1: {{/b}} closes {{#a}}, opened at line 1, column 1; close it with {{/a}}.',
      ],
    ]);
  });

  it('every field of the built-in templates is provided by the built-in query and roster', () => {
    const db = new Database(':memory:');
    db.exec(COMPLIANCE_SCHEMA);
    const columns = db
      .prepare(loadQuery(undefined).sql)
      .columns()
      .map((c) => c.name);
    db.close();
    const builtIn = loadTemplates(undefined);
    const available = new Set([...columns, ...derivedFieldsFor(columns), 'first_name', 'report_date_long']);
    expect(checkTemplates(builtIn, available)).toEqual([]);
    // Without the query's columns the derived fields are missing, so the check above can fail.
    expect(checkTemplates(builtIn, new Set(['did', 'first_name'])).length).toBeGreaterThan(5);
  });

  it('lists printed fields, not sections or fields inside them', () => {
    expect([...printedFields('{{a}} {{{b}}} {{&c}} {{#s}}{{d}}{{/s}} {{^e}}x{{/e}}')]).toEqual(['a', 'b', 'c']);
  });

  it('names TEMPLATE_DIR when a file is missing', () => {
    expect(() => loadTemplates('/nonexistent/templates')).toThrow(UsageError);
    expect(() => loadTemplates('/nonexistent/templates')).toThrow(
      /TEMPLATE_DIR must hold subject.txt, body.txt and body.html/,
    );
  });
});
