/**
 * How wide a string is in one of our TTF fonts, read from the font's own tables (cmap, hmtx).
 * Vega lays out legends, titles and axis labels by text width; with no canvas it guesses 0.8 em
 * a character, which spreads legends apart and cuts titles short. This gives it the real
 * advances (kerning aside: a pixel or so on a label).
 */
import { readFileSync } from 'node:fs';

export type MeasureText = (text: string, fontSize: number) => number;

interface Tables {
  view: DataView;
  offsets: Map<string, number>;
}

function tables(font: Buffer): Tables {
  const view = new DataView(font.buffer, font.byteOffset, font.byteLength);
  const offsets = new Map<string, number>();
  const count = view.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + 16 * i;
    const tag = String.fromCharCode(...font.subarray(record, record + 4));
    offsets.set(tag, view.getUint32(record + 8));
  }
  return { view, offsets };
}

function table(t: Tables, tag: string, file: string): number {
  const offset = t.offsets.get(tag);
  if (offset === undefined) throw new Error(`${file} has no '${tag}' table: ship a complete TrueType font.`);
  return offset;
}

/** code point → glyph index, from a Windows Unicode cmap subtable (format 12, else 4). */
function glyphLookup(t: Tables, file: string): (codePoint: number) => number {
  const { view } = t;
  const cmap = table(t, 'cmap', file);
  const subtables = new Map<string, number>();
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const record = cmap + 4 + 8 * i;
    const key = `${view.getUint16(record)}/${view.getUint16(record + 2)}`;
    subtables.set(key, cmap + view.getUint32(record + 4));
  }
  const full = subtables.get('3/10');
  if (full !== undefined && view.getUint16(full) === 12) {
    const groups = view.getUint32(full + 12);
    return (cp) => {
      for (let g = 0; g < groups; g++) {
        const at = full + 16 + 12 * g;
        const start = view.getUint32(at);
        if (cp >= start && cp <= view.getUint32(at + 4)) return view.getUint32(at + 8) + (cp - start);
      }
      return 0;
    };
  }
  const bmp = subtables.get('3/1') ?? subtables.get('0/3');
  if (bmp === undefined || view.getUint16(bmp) !== 4)
    throw new Error(`${file} has no Unicode character map (cmap format 4 or 12): ship a Unicode TrueType font.`);
  const segments = view.getUint16(bmp + 6) / 2;
  const ends = bmp + 14;
  const starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments;
  const rangeOffsets = deltas + 2 * segments;
  return (cp) => {
    for (let s = 0; s < segments; s++) {
      if (cp > view.getUint16(ends + 2 * s)) continue;
      const start = view.getUint16(starts + 2 * s);
      if (cp < start) return 0;
      const delta = view.getInt16(deltas + 2 * s);
      const rangeOffsetAt = rangeOffsets + 2 * s;
      const rangeOffset = view.getUint16(rangeOffsetAt);
      if (rangeOffset === 0) return (cp + delta) & 0xffff;
      const glyph = view.getUint16(rangeOffsetAt + rangeOffset + 2 * (cp - start));
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };
}

/** A width function for one font file; widths are cached per character. */
export function fontMeasurer(file: string): MeasureText {
  const t = tables(readFileSync(file));
  const { view } = t;
  const unitsPerEm = view.getUint16(table(t, 'head', file) + 18);
  const longMetrics = view.getUint16(table(t, 'hhea', file) + 34);
  const hmtx = table(t, 'hmtx', file);
  const glyphOf = glyphLookup(t, file);
  const advance = (glyph: number): number => view.getUint16(hmtx + 4 * Math.min(glyph, longMetrics - 1));
  const perChar = new Map<number, number>();
  return (text, fontSize) => {
    let units = 0;
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      let width = perChar.get(cp);
      if (width === undefined) {
        width = advance(glyphOf(cp));
        perChar.set(cp, width);
      }
      units += width;
    }
    return (units / unitsPerEm) * fontSize;
  };
}
