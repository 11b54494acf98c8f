/**
 * Mustache-style templates: subject.txt, body.txt, body.html. HTML fields are escaped; text and
 * subject are not (the subject is sanitised as a header by the composer instead).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Mustache from 'mustache';
import { UsageError } from '../errors.js';
import { nodeCrypto } from '../util/commonjs.js';
import { packageRoot } from '../util/fs.js';
import { type TemplateSyntaxCode, templateSyntaxProblems } from './template-syntax.js';

export const TEMPLATE_FILES = { subject: 'subject.txt', text: 'body.txt', html: 'body.html' } as const;
export type TemplatePart = keyof typeof TEMPLATE_FILES;

export interface Templates {
  subject: string;
  text: string;
  html: string;
  /** Hash of the three files: tells "template changed since last send". Worked out when first read. */
  readonly hash: string;
  source: string;
}

export type TemplateView = Record<string, unknown>;

export function builtInTemplateDir(): string {
  return join(packageRoot(), 'src', 'mail', 'default-templates');
}

export function loadTemplates(dir: string | undefined): Templates {
  const folder = dir ?? builtInTemplateDir();
  const read = (part: TemplatePart): string => {
    const path = join(folder, TEMPLATE_FILES[part]);
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new UsageError(
        `Cannot read the template ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}). TEMPLATE_DIR must hold subject.txt, body.txt and body.html; unset it to use the built-in templates.`,
        'template_unreadable',
      );
    }
  };
  const subject = read('subject').trim();
  const text = read('text');
  const html = read('html');
  // Only a dry run's plan asks for it: validation then does not load node:crypto (commonjs.ts).
  let hash: string | undefined;
  return {
    subject,
    text,
    html,
    get hash() {
      hash ??= nodeCrypto()
        .createHash('sha256')
        .update(subject)
        .update('\0')
        .update(text)
        .update('\0')
        .update(html)
        .digest('hex');
      return hash;
    },
    source: dir ?? 'built-in',
  };
}

export interface TemplateProblem {
  part: TemplatePart;
  message: string;
  /** Set for a syntax error (the file cannot be used at all); unset for an unknown field. */
  code?: TemplateSyntaxCode;
}

/** Field names a template refers to ({{x}}, {{{x}}}, {{&x}}, sections). Throws on syntax errors. */
export function referencedFields(template: string): Set<string> {
  const names = new Set<string>();
  const walk = (tokens: unknown[]): void => {
    for (const token of tokens as [string, string, number, number, unknown[]?][]) {
      const [kind, value, , , children] = token;
      if (kind === 'name' || kind === '&' || kind === '#' || kind === '^') names.add(value.split('.')[0] ?? value);
      if (Array.isArray(children)) walk(children);
    }
  };
  walk(Mustache.parse(template) as unknown[]);
  return names;
}

/**
 * Fields whose value is printed ({{x}}, {{{x}}}, {{&x}}), not sections: an empty one would leave
 * a blank in the message. Throws on syntax errors.
 */
export function printedFields(template: string): Set<string> {
  const names = new Set<string>();
  const walk = (tokens: unknown[], inSection: boolean): void => {
    for (const token of tokens as [string, string, number, number, unknown[]?][]) {
      const [kind, value, , , children] = token;
      // Inside a section a name may be the section item's own field; only top level is checked.
      if (!inSection && (kind === 'name' || kind === '&') && value !== '.') names.add(value);
      if (Array.isArray(children)) walk(children, true);
    }
  };
  walk(Mustache.parse(template) as unknown[], false);
  return names;
}

/** Every field the templates use that `available` does not provide, and every syntax error. */
export function checkTemplates(templates: Templates, available: ReadonlySet<string>): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const part of Object.keys(TEMPLATE_FILES) as TemplatePart[]) {
    const syntax = templateSyntaxProblems(templates[part], TEMPLATE_FILES[part]);
    if (syntax.length > 0) {
      problems.push(...syntax.map(({ code, message }) => ({ part, code, message })));
      continue;
    }
    let fields: Set<string>;
    try {
      fields = referencedFields(templates[part]);
    } catch (error) {
      problems.push({
        part,
        code: 'template_syntax',
        message: `${TEMPLATE_FILES[part]} does not parse: ${(error as Error).message}`,
      });
      continue;
    }
    for (const field of fields) {
      if (field !== '.' && !available.has(field)) {
        problems.push({
          part,
          message: `${TEMPLATE_FILES[part]} uses {{${field}}}, which neither the compliance query nor the roster provides.`,
        });
      }
    }
  }
  return problems;
}

export interface RenderedContent {
  subject: string;
  text: string;
  html: string;
}

const noEscaping = { escape: (value: unknown) => String(value) };

export function renderTemplates(templates: Templates, view: TemplateView): RenderedContent {
  return {
    subject: Mustache.render(templates.subject, view, undefined, noEscaping),
    text: Mustache.render(templates.text, view, undefined, noEscaping),
    html: Mustache.render(templates.html, view),
  };
}
