/**
 * Dates and numbers as the picture and its alt text both print them: one formatter, so the alt
 * text carries exactly the figures the picture shows. English and fixed, whatever the server's
 * locale.
 */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function parts(isoDate: string): { weekday: string; day: number; month: string; year: number } {
  const d = new Date(`${isoDate}T00:00:00Z`);
  return {
    weekday: WEEKDAYS[d.getUTCDay()]!,
    day: d.getUTCDate(),
    month: MONTHS[d.getUTCMonth()]!,
    year: d.getUTCFullYear(),
  };
}

/** "Mon 2 Nov" */
export function shortDate(isoDate: string): string {
  const p = parts(isoDate);
  return `${p.weekday} ${p.day} ${p.month}`;
}

/** "Mon 2 Nov 2026" */
export function longDate(isoDate: string): string {
  return `${shortDate(isoDate)} ${parts(isoDate).year}`;
}

/** "Mon 2 Nov – Sun 15 Nov 2026", the year once when both ends share it. */
export function dateRange(from: string, to: string): string {
  if (from === to) return longDate(from);
  const sameYear = parts(from).year === parts(to).year;
  return `${sameYear ? shortDate(from) : longDate(from)} – ${longDate(to)}`;
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** "136,512" */
export function count(n: number): string {
  return grouped.format(n);
}

/** "62%"; "<1%" and ">99%" near the ends, where rounding would hide that some are (not) there. */
export function percent(part: number, whole: number): string {
  if (whole === 0 || part === 0) return '0%';
  const p = (100 * part) / whole;
  if (p < 1) return '<1%';
  if (p > 99 && part < whole) return '>99%';
  return `${Math.round(p)}%`;
}
