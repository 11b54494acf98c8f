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

  it('reports a template that does not parse', () => {
    const templates = loadTemplates(templateDir({ subject: 'x', text: '{{#open}} never closed', html: 'x' }));
    expect(checkTemplates(templates, new Set(['open']))[0]?.message).toMatch(
      /body.txt does not parse: Unclosed section "open"/,
    );
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
