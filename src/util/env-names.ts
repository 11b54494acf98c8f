/**
 * Environment variables that look like one of ours but are not (`SMPT_HOST`, `MAIL_FORM`,
 * `STUDY_TIMEZONE`): a typo in .env silently leaves the real setting at its default. Unrelated
 * variables (PATH, HOME, ...) are left alone: a name is only looked at when it shares one of our
 * prefixes, or is long enough and within two typos of a known name.
 */

/**
 * The edit distance of `a` and `b` when it is at most `limit`, else `limit + 1`: a row of the
 * table whose every cell is over the limit ends the work (most names are far from all of ours,
 * and this runs for every variable of the environment at every command's start).
 */
export function editDistanceWithin(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cell = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row[j] = cell;
      if (cell < rowMin) rowMin = cell;
    }
    if (rowMin > limit) return limit + 1;
    [prev, row] = [row, prev];
  }
  return Math.min(prev[b.length]!, limit + 1);
}

/** `short` is an abbreviation of `long` (TZ of TIMEZONE): its letters appear in order. */
function abbreviates(short: string, long: string): boolean {
  let i = 0;
  for (const c of long) if (c === short[i]) i++;
  return short.length >= 2 && i === short.length;
}

export interface LookalikeName {
  name: string;
  nearest: string;
}

const MIN_UNPREFIXED_LENGTH = 6;
const MAX_UNPREFIXED_DISTANCE = 2;

export function lookalikeNames(
  names: Iterable<string>,
  known: ReadonlySet<string>,
  prefixes: readonly string[],
): LookalikeName[] {
  const result: LookalikeName[] = [];
  for (const name of names) {
    if (known.has(name)) continue;
    const upper = name.toUpperCase();
    if (known.has(upper)) {
      result.push({ name, nearest: upper });
      continue;
    }
    const prefix = prefixes.find((p) => upper.startsWith(p));
    // Without our prefix only a near miss counts, and names differing in length by more than
    // MAX_UNPREFIXED_DISTANCE are further apart than that: the environment's other variables
    // (dozens, on every command) are then mostly not compared at all.
    if (prefix === undefined && name.length < MIN_UNPREFIXED_LENGTH) continue;
    let nearest: string | undefined;
    let best = Number.POSITIVE_INFINITY;
    for (const candidate of known) {
      if (prefix === undefined && Math.abs(candidate.length - upper.length) > MAX_UNPREFIXED_DISTANCE) continue;
      // Within our prefix, an abbreviation (STUDY_TZ for STUDY_TIMEZONE) beats any edit distance.
      const sameFamily = prefix !== undefined && candidate.startsWith(prefix);
      // Only a distance below the best so far can change the answer.
      const limit = prefix === undefined ? Math.min(MAX_UNPREFIXED_DISTANCE, best - 1) : best - 1;
      const distance =
        sameFamily && abbreviates(candidate.slice(prefix.length), upper.slice(prefix.length))
          ? 0.5
          : editDistanceWithin(upper, candidate, limit);
      if (distance < best) {
        best = distance;
        nearest = candidate;
      }
    }
    if (nearest === undefined) continue;
    if (prefix !== undefined || best <= MAX_UNPREFIXED_DISTANCE) result.push({ name, nearest });
  }
  return result;
}
