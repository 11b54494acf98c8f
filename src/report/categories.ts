/**
 * Names and colours of the picture's categories. Colours are from the Okabe–Ito palette, which
 * stays distinguishable with the common colour-vision deficiencies; the two "we could not
 * measure" categories are greys in both panels, so they read as apart from the outcomes.
 */
import type { CompletionCategory, MessageOutcome } from './model.js';

export interface CategoryStyle {
  /** Legend and alt-text name. */
  label: string;
  color: string;
}

/** In stacking order, bottom first: sent at the base, problems right above it. */
export const OUTCOME_STYLE: Readonly<Record<MessageOutcome, CategoryStyle>> = {
  sent: { label: 'Sent', color: '#0072B2' },
  bounced: { label: 'Bounced', color: '#E69F00' },
  failed: { label: 'Failed', color: '#D55E00' },
  unknown: { label: 'Outcome unknown', color: '#CC79A7' },
  blocked: { label: 'Not sent: blocked', color: '#F0E442' },
  skipped: { label: 'Not sent: no data', color: '#BBBBBB' },
  optedOut: { label: 'Not sent: opted out', color: '#555555' },
};

export const COMPLETION_STYLE: Readonly<Record<CompletionCategory, CategoryStyle>> = {
  all: { label: 'All surveys done', color: '#0072B2' },
  some: { label: 'Some', color: '#56B4E9' },
  none: { label: 'None', color: '#E69F00' },
  noData: { label: 'No data', color: '#BBBBBB' },
  unreachable: { label: 'Unreachable', color: '#555555' },
};
