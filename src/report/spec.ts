/**
 * The picture as a Vega-Lite spec: two panels stacked, sharing the day axis. Sizes are fixed
 * (axis extents, top legends, every category always in the legend) so the PNG has the same size
 * whatever the numbers: Slack's preview does not jump from week to week, and tests can pin it.
 */
import type { TopLevelSpec } from 'vega-lite';
import { type CategoryStyle, COMPLETION_STYLE, OUTCOME_STYLE } from './categories.js';
import { REPORT_FONT_FAMILY } from './fonts.js';
import { count, dateRange, percent, shortDate } from './format.js';
import {
  COMPLETION_CATEGORIES,
  type CompletionCategory,
  daysInRange,
  MESSAGE_OUTCOMES,
  type MessageOutcome,
  type ReportData,
  type ReportTotals,
} from './model.js';

/** CSS pixels; the PNG is drawn at twice this. Wide, because Slack previews fit the width. */
export const REPORT_WIDTH = 1100;
const PADDING = 16;
const Y_AXIS_EXTENT = 64;
const PLOT_WIDTH = REPORT_WIDTH - 2 * PADDING - Y_AXIS_EXTENT;
const PLOT_HEIGHT = 250;
/** Up to three weeks every day is labelled; beyond that, Mondays only (the week starts). */
const LABEL_EVERY_DAY_UP_TO = 21;
const TITLE_LIMIT = 80;

interface Row {
  day: string;
  category: string;
  count: number;
  order: number;
}

/** The axis label of a day: two lines, "Mon" over "2 Nov" (split on "|" by the axis). */
const axisLabel = (isoDate: string): string => shortDate(isoDate).replace(' ', '|');

export function reportTitle(data: ReportData): string {
  const name = data.studyName?.trim() ?? '';
  const shown = name.length > TITLE_LIMIT ? `${name.slice(0, TITLE_LIMIT - 1)}…` : name;
  return shown === '' ? 'E-mails and survey completion' : `${shown}: e-mails and survey completion`;
}

export function reportSubtitle(data: ReportData): string {
  const n = daysInRange(data.from, data.to).length;
  return `${dateRange(data.from, data.to)} · ${n} ${n === 1 ? 'day' : 'days'} · counts only, no participant is named`;
}

export function outcomeLegendLabel(outcome: MessageOutcome, totals: ReportTotals): string {
  return `${OUTCOME_STYLE[outcome].label} ${count(totals.messages[outcome])}`;
}

export function completionLegendLabel(category: CompletionCategory, totals: ReportTotals): string {
  const n = totals.completion[category];
  return `${COMPLETION_STYLE[category].label} ${percent(n, totals.participantDays)}`;
}

function tallestBar(rows: readonly Row[]): number {
  const perDay = new Map<string, number>();
  for (const r of rows) perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.count);
  return Math.max(0, ...perDay.values());
}

export function buildReportSpec(data: ReportData, totals: ReportTotals): TopLevelSpec {
  const days = daysInRange(data.from, data.to);
  const labels = days.map(axisLabel);
  const labelled = days.length <= LABEL_EVERY_DAY_UP_TO ? labels : labels.filter((l) => l.startsWith('Mon|'));

  const outcomeLabels = MESSAGE_OUTCOMES.map((o) => outcomeLegendLabel(o, totals));
  const completionLabels = COMPLETION_CATEGORIES.map((c) => completionLegendLabel(c, totals));
  const messageRows: Row[] = [];
  const completionRows: Row[] = [];
  for (const day of data.days) {
    const label = axisLabel(day.date);
    MESSAGE_OUTCOMES.forEach((o, order) => {
      const n = day.messages[o];
      if (n > 0) messageRows.push({ day: label, category: outcomeLabels[order]!, count: n, order });
    });
    COMPLETION_CATEGORIES.forEach((c, order) => {
      const n = day.completion[c];
      if (n > 0) completionRows.push({ day: label, category: completionLabels[order]!, count: n, order });
    });
  }

  const panel = (
    panelTitle: string,
    legendTitle: string,
    rows: Row[],
    legend: string[],
    styles: CategoryStyle[],
    legendColumns: number,
  ): NonNullable<Extract<TopLevelSpec, { vconcat: unknown }>['vconcat']>[number] => ({
    title: {
      text: rows.length === 0 ? `${panelTitle}: none in this period` : panelTitle,
      anchor: 'start',
      fontSize: 16,
      fontWeight: 'bold',
      offset: 8,
    },
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'day',
        type: 'ordinal',
        scale: { domain: labels, paddingInner: 0.2, paddingOuter: 0.1 },
        axis: {
          title: null,
          values: labelled,
          labelAngle: 0,
          labelExpr: "split(datum.value, '|')",
          labelLineHeight: 15,
          labelPadding: 4,
        },
      },
      y: {
        field: 'count',
        type: 'quantitative',
        stack: 'zero',
        // Explicit, so an empty period still gets a 0..1 axis rather than a lone "0" mid-panel.
        scale: { domain: [0, Math.max(1, tallestBar(rows))], nice: true },
        axis: {
          title: null,
          format: ',d',
          tickCount: 5,
          tickMinStep: 1,
          minExtent: Y_AXIS_EXTENT,
          maxExtent: Y_AXIS_EXTENT,
        },
      },
      color: {
        field: 'category',
        type: 'nominal',
        scale: { domain: legend, range: styles.map((s) => s.color) },
        legend: { title: legendTitle, orient: 'top', direction: 'horizontal', columns: legendColumns, offset: 10 },
      },
      order: { field: 'order', type: 'quantitative' },
    },
  });

  return {
    padding: PADDING,
    background: 'white',
    spacing: 30,
    title: {
      text: reportTitle(data),
      subtitle: reportSubtitle(data),
      anchor: 'start',
      fontSize: 22,
      subtitleFontSize: 14,
      subtitlePadding: 6,
      offset: 16,
    },
    vconcat: [
      panel(
        'Messages per day, by outcome',
        'Over the period:',
        messageRows,
        outcomeLabels,
        MESSAGE_OUTCOMES.map((o) => OUTCOME_STYLE[o]),
        // Two rows: what happened to the messages sent, then why the others were not sent.
        4,
      ),
      panel(
        "Participants' survey completion per day",
        'Over the period:',
        completionRows,
        completionLabels,
        COMPLETION_CATEGORIES.map((c) => COMPLETION_STYLE[c]),
        COMPLETION_CATEGORIES.length,
      ),
    ],
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    config: {
      font: REPORT_FONT_FAMILY,
      // ARIA labels help an interactive SVG, not a PNG (Slack gets the alt text instead).
      aria: false,
      view: { stroke: null },
      axis: {
        labelFontSize: 12,
        labelColor: '#333333',
        domainColor: '#888888',
        tickColor: '#888888',
        gridColor: '#E6E6E6',
      },
      axisX: { grid: false },
      legend: {
        labelFontSize: 13,
        labelColor: '#222222',
        titleFontSize: 13,
        titleFontWeight: 'normal',
        titleColor: '#555555',
        titleOrient: 'left',
        symbolType: 'square',
        symbolSize: 180,
        symbolStrokeWidth: 0,
        columnPadding: 18,
        labelLimit: 400,
      },
      title: { color: '#111111', subtitleColor: '#555555' },
    },
  };
}
