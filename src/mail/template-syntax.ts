/**
 * Template syntax checked before Mustache sees it, so that an error names the file, the line and
 * column, and the tag as written. (Mustache's own message for `{{first_name}` is a field name that
 * runs on to the next `}}`, newlines included.) Partials (`{{> x}}`) and delimiter changes are
 * refused: templates are three self-contained files.
 */

export type TemplateSyntaxCode =
  | 'template_tag_unclosed'
  | 'template_section_unclosed'
  | 'template_section_mismatch'
  | 'template_partial'
  | 'template_syntax';

export interface TemplateSyntaxProblem {
  code: TemplateSyntaxCode;
  line: number;
  column: number;
  /** The tag as written (shortened). */
  tag: string;
  message: string;
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** The tag as written: up to its close, or to the end of the line, at most 40 characters. */
function asWritten(text: string, start: number, end: number | undefined): string {
  const raw = end === undefined ? (text.slice(start).split('\n')[0] ?? '') : text.slice(start, end);
  return raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
}

export function templateSyntaxProblems(text: string, file: string): TemplateSyntaxProblem[] {
  const problems: TemplateSyntaxProblem[] = [];
  const open: { name: string; offset: number; tag: string }[] = [];
  const add = (code: TemplateSyntaxCode, offset: number, tag: string, what: string): void => {
    const { line, column } = position(text, offset);
    problems.push({ code, line, column, tag, message: `${file} line ${line}, column ${column}: ${tag} ${what}` });
  };
  let at = text.indexOf('{{');
  while (at !== -1) {
    const triple = text.startsWith('{{{', at);
    const closer = triple ? '}}}' : '}}';
    const close = text.indexOf(closer, at + 2);
    const nextOpen = text.indexOf('{{', at + (triple ? 3 : 2));
    const newline = text.indexOf('\n', at);
    const content = close === -1 ? '' : text.slice(at + (triple ? 3 : 2), close).trim();
    const bad = close === -1 || (nextOpen !== -1 && nextOpen < close) || (newline !== -1 && newline < close);
    // Comments may span lines and hold anything.
    if (bad && !(close !== -1 && content.startsWith('!'))) {
      add('template_tag_unclosed', at, asWritten(text, at, undefined), `is not closed; write it as {{name}}.`);
      at = nextOpen;
      continue;
    }
    const end = close + closer.length;
    const tag = asWritten(text, at, end);
    const sigil = triple ? '' : (content[0] ?? '');
    const name = (/^[#^/>=&!]/.test(sigil) ? content.slice(1) : content).trim();
    if (sigil === '>')
      add(
        'template_partial',
        at,
        tag,
        'includes a partial; partials are not supported: copy its text into the template.',
      );
    else if (sigil === '=')
      add('template_syntax', at, tag, 'changes the delimiters; that is not supported: keep {{ and }}.');
    else if (sigil !== '!' && name === '') add('template_syntax', at, tag, 'names no field.');
    else if (sigil === '#' || sigil === '^') open.push({ name, offset: at, tag });
    else if (sigil === '/') {
      const top = open.pop();
      if (top === undefined) add('template_section_mismatch', at, tag, 'closes a section that was never opened.');
      else if (top.name !== name) {
        const opened = position(text, top.offset);
        add(
          'template_section_mismatch',
          at,
          tag,
          `closes ${top.tag}, opened at line ${opened.line}, column ${opened.column}; close it with {{/${top.name}}}.`,
        );
      }
    }
    at = text.indexOf('{{', end);
  }
  for (const section of open)
    add(
      'template_section_unclosed',
      section.offset,
      section.tag,
      `opens a section that is never closed; add {{/${section.name}}}.`,
    );
  return problems;
}
