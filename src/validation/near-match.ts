/**
 * "Did you mean P0123?" for DIDs that differ by a typo: optimal string alignment distance
 * (Levenshtein plus adjacent transposition, the most common typing slip), where swapping
 * look-alike characters (O/0, I/1, ...) counts as half a typo, since that is the likeliest slip
 * when a DID is copied from a device label.
 *
 * A wrong suggestion is worse than none: renaming a roster DID to another person's DID mails one
 * participant another's data. So a suggestion is made only when the pairing is unambiguous in both
 * directions (see suggestCorrections).
 */
const lookAlikes = new Set(['O0', '0O', 'o0', '0o', 'I1', '1I', 'l1', '1l', 'S5', '5S', 'B8', '8B', 'Z2', '2Z']);

function substitutionCost(x: string, y: string): number {
  if (x === y) return 0;
  return lookAlikes.has(x + y) ? 0.5 : 1;
}

export function typoDistance(a: string, b: string, limit = 2): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + substitutionCost(a[i - 1]!, b[j - 1]!));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, prev2[j - 2]! + 1);
      row.push(best);
      rowMin = Math.min(rowMin, best);
    }
    if (rowMin > limit) return limit + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** The closest candidates within `limit` (all that tie for closest, at most `max`). */
export function nearestMatches(target: string, candidates: readonly string[], limit = 2, max = 3): string[] {
  let best: string[] = [];
  let bestDistance = limit + 0.25;
  for (const candidate of candidates) {
    const distance = typoDistance(target, candidate, limit);
    if (distance < bestDistance) {
      best = [candidate];
      bestDistance = distance;
    } else if (distance === bestDistance) {
      best.push(candidate);
    }
  }
  return best.slice(0, max);
}

/** How far apart two DIDs may be to be looked at at all (anything within it counts as a rival). */
const NEAR = 2;

/**
 * Whether the nearest is a clear winner over everything else within NEAR: one typo at most, and
 * either alone, or the only look-alike slip (under 1) among rivals that need a real typo.
 */
function isClear(distances: readonly number[]): boolean {
  const sorted = [...distances].sort((a, b) => a - b);
  const [best, second] = sorted;
  if (best === undefined || best > 1) return false;
  if (second === undefined) return true;
  return best < 1 && second >= 1;
}

export interface CorrectionInput {
  /** DIDs with data today that are not in the roster. */
  unknownDids: Iterable<string>;
  /** Active roster DIDs (may include ones with data: those are never suggested). */
  rosterDids: Iterable<string>;
  /** DIDs with data for the day. */
  didsWithData: { has(did: string): boolean };
}

/**
 * For each unknown DID, the roster DID it was probably meant to be, when that is clear: the roster
 * DID has no data today, it is the clear nearest to the unknown DID, and the unknown DID is the
 * clear nearest to it (so one roster DID is never offered for several database DIDs).
 */
export function suggestCorrections(input: CorrectionInput): Map<string, string> {
  const unknown = [...new Set(input.unknownDids)];
  const roster = [...new Set(input.rosterDids)].filter((did) => did !== '' && !input.didsWithData.has(did));
  const near = new Map<string, Map<string, number>>(); // unknown → roster → distance
  const nearRoster = new Map<string, number[]>(); // roster → distances to unknown DIDs
  for (const did of unknown) {
    const found = new Map<string, number>();
    for (const candidate of roster) {
      const distance = typoDistance(did, candidate, NEAR);
      if (distance > NEAR) continue;
      found.set(candidate, distance);
      const list = nearRoster.get(candidate) ?? [];
      list.push(distance);
      nearRoster.set(candidate, list);
    }
    if (found.size > 0) near.set(did, found);
  }
  const suggestions = new Map<string, string>();
  for (const [did, found] of near) {
    if (!isClear([...found.values()])) continue;
    const [candidate, distance] = [...found].sort((a, b) => a[1] - b[1])[0]!;
    const rivals = nearRoster.get(candidate) ?? [];
    if (isClear(rivals) && Math.min(...rivals) === distance) suggestions.set(did, candidate);
  }
  return suggestions;
}
