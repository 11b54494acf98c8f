/**
 * The font the picture is drawn with, shipped in the package. resvg silently leaves out any
 * text whose font it cannot find, and a slim server may have no fonts at all; loading only these
 * files (never the system's) also makes the PNG the same on every machine.
 */
import { join } from 'node:path';
import { packageRoot } from '../util/fs.js';
import { fontMeasurer, type MeasureText } from './font-metrics.js';

/** The family name inside the TTF files: what Vega writes in the SVG and resvg matches on. */
export const REPORT_FONT_FAMILY = 'DejaVu Sans';

export interface ReportFonts {
  /** Regular first, then bold (titles). */
  files: string[];
  /** Text width in CSS pixels, as resvg will draw it (kerning aside). */
  measure: (text: string, fontSize: number, bold: boolean) => number;
}

let cached: ReportFonts | undefined;

/** Read from src/ in the installed package, as the built-in templates are; parsed once. */
export function reportFonts(): ReportFonts {
  if (cached) return cached;
  const dir = join(packageRoot(), 'src', 'report', 'fonts');
  const files = [join(dir, 'DejaVuSans.ttf'), join(dir, 'DejaVuSans-Bold.ttf')];
  const [regular, bold]: MeasureText[] = files.map(fontMeasurer);
  cached = { files, measure: (text, size, isBold) => (isBold ? bold! : regular!)(text, size) };
  return cached;
}
