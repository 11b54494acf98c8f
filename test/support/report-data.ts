/**
 * A plausible study's weekly-picture counts, made the way the real aggregation will make them:
 * each participant, each day, lands in exactly one message outcome and one completion category.
 * Deterministic for a seed. Used by the report tests and the benchmark.
 */
import {
  type CompletionCategory,
  type MessageOutcome,
  type ReportData,
  type ReportDay,
  zeroCompletion,
  zeroMessages,
} from '../../src/report/model.js';
import { addDays } from '../../src/util/dates.js';

export interface StudyShape {
  participants: number;
  days: number;
  /** Last day shown, YYYY-MM-DD. */
  to: string;
  seed?: number;
  studyName?: string;
}

/** mulberry32, as in fixtures/generate.ts. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulatedStudy(shape: StudyShape): ReportData {
  const random = prng(shape.seed ?? 7);
  const from = addDays(shape.to, -(shape.days - 1));
  // Each participant keeps a habit: most are diligent, some patchy, a few disengaged.
  const habit = Float64Array.from({ length: shape.participants }, () => {
    const band = random();
    return band < 0.6 ? 0.9 : band < 0.85 ? 0.6 : 0.2;
  });
  const unreachableFrom = new Float64Array(shape.participants).fill(Number.POSITIVE_INFINITY);
  const days: ReportDay[] = [];
  for (let i = 0; i < shape.days; i++) {
    const date = addDays(from, i);
    const weekend = [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay());
    const messages = zeroMessages();
    const completion = zeroCompletion();
    for (let p = 0; p < shape.participants; p++) {
      // About 1 in 1,500 a day bounce for good or opt out; they stay unreachable.
      if (unreachableFrom[p] === Number.POSITIVE_INFINITY && random() < 0.00067) unreachableFrom[p] = i;
      let outcome: MessageOutcome;
      let category: CompletionCategory;
      if (unreachableFrom[p]! < i) {
        outcome = 'optedOut';
        category = 'unreachable';
      } else if (random() < 0.03) {
        outcome = 'skipped';
        category = 'noData';
      } else {
        const roll = random();
        outcome =
          unreachableFrom[p] === i
            ? 'bounced'
            : roll < 0.002
              ? 'failed'
              : roll < 0.0025
                ? 'unknown'
                : roll < 0.003
                  ? 'blocked'
                  : 'sent';
        const done = habit[p]! * (weekend ? 0.85 : 1) + (random() - 0.5) * 0.3;
        category = done > 0.8 ? 'all' : done > 0.35 ? 'some' : 'none';
      }
      messages[outcome]++;
      completion[category]++;
    }
    days.push({ date, messages, completion });
  }
  return { ...(shape.studyName === undefined ? {} : { studyName: shape.studyName }), from, to: shape.to, days };
}
