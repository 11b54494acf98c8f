/**
 * "Did you mean P0123?" for DIDs that differ by a typo: optimal string alignment distance
 * (Levenshtein plus adjacent transposition, the most common typing slip), where swapping
 * look-alike characters (O/0, I/1, ...) counts as half a typo, since that is the likeliest slip
 * when a DID is copied from a device label.
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
