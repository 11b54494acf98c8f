import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { checkTemplates, loadTemplates, renderTemplates } from '../../../src/mail/templates.js';

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
    const builtIn = loadTemplates(undefined);
    const problems = checkTemplates(
      builtIn,
      new Set([
        'did',
        'first_name',
        'report_date_long',
        'surveys_completed',
        'surveys_expected',
        'wear_time',
        'last_sync',
        'std_days',
        'std_surveys_completed',
        'std_surveys_expected',
        'std_percent',
        'std_avg_wear_time',
        'encouragement',
      ]),
    );
    expect(problems).toEqual([]);
  });

  it('names TEMPLATE_DIR when a file is missing', () => {
    expect(() => loadTemplates('/nonexistent/templates')).toThrow(UsageError);
    expect(() => loadTemplates('/nonexistent/templates')).toThrow(
      /TEMPLATE_DIR must hold subject.txt, body.txt and body.html/,
    );
  });
});
