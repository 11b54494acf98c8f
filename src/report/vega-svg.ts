/**
 * The one place that talks to Vega: Vega-Lite spec in, SVG text out. Vega's own types are loose
 * (its logger takes any; textMetrics is not typed at all), so nothing of them leaks past this
 * file. The SVG renderer needs no canvas and no browser.
 */
import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';

type VegaLite = typeof import('vega-lite');

/**
 * Vega and Vega-Lite, imported with the first picture. They are ES modules only, Vega with a
 * top-level await, so they are imported, never `require`d: the CLI's one-file build is CommonJS
 * (src/vendor/build.mjs refuses a static import of such a package), and only `report` needs them.
 */
let loading: Promise<{ vega: typeof Vega; compile: VegaLite['compile'] }> | undefined;
function loadVega(): Promise<{ vega: typeof Vega; compile: VegaLite['compile'] }> {
  loading ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, lite]) => ({
    vega,
    compile: lite.compile,
  }));
  return loading;
}

export interface VegaSvg {
  svg: string;
  /** Vega and Vega-Lite warnings (an encoding they dropped, a scale they could not fit). */
  warnings: string[];
}

/** Width of one line of text in CSS pixels. */
export type TextWidth = (text: string, fontSize: number, bold: boolean) => number;

/** The part of a Vega text item the width depends on. */
interface TextItem {
  fontSize?: number | string | null;
  fontWeight?: number | string | null;
  limit?: number | null;
}

interface TextMetrics {
  width: (item: TextItem, text: unknown) => number;
}

const isBold = (weight: TextItem['fontWeight']): boolean =>
  weight === 'bold' || weight === 'bolder' || (weight != null && Number(weight) >= 600);

/**
 * Vega measures text with a canvas when the `canvas` package is installed, and otherwise guesses
 * 0.8 em a character. A width function set here replaces both (the hook Vega keeps for exactly
 * this). It is process-wide; the report is Vega's only user in this process.
 */
function useTextWidth(vega: typeof Vega, width: TextWidth): void {
  const metrics = (vega as unknown as { textMetrics: TextMetrics }).textMetrics;
  metrics.width = (item, text) => {
    const size = item.fontSize == null ? 11 : Number(item.fontSize) || 0;
    const w = width(String(text ?? '').trim(), size, isBold(item.fontWeight));
    // Vega truncates to `limit` (with an ellipsis) before drawing: never report more than that.
    return item.limit != null && item.limit > 0 ? Math.min(w, item.limit) : w;
  };
}

/** Collects messages instead of printing them: the bot's stdout and stderr are for its own logs. */
function collectingLogger(vega: typeof Vega, warnings: string[]) {
  let level = vega.Warn;
  const keep =
    (kind: string) =>
    (...args: readonly unknown[]) => {
      warnings.push(`${kind}: ${args.map(String).join(' ')}`);
      return logger;
    };
  const logger = {
    level(next?: number) {
      if (next === undefined) return level;
      level = next;
      return logger;
    },
    error: (...args: readonly unknown[]) => {
      throw new Error(`Vega could not draw the report: ${args.map(String).join(' ')}`);
    },
    warn: keep('warning'),
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

export async function vegaLiteToSvg(spec: TopLevelSpec, textWidth: TextWidth): Promise<VegaSvg> {
  const { vega, compile } = await loadVega();
  useTextWidth(vega, textWidth);
  const warnings: string[] = [];
  const logger = collectingLogger(vega, warnings);
  const { spec: vegaSpec } = compile(spec, { logger });
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none', logger });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}
