/**
 * Row rules for the roster, as small named functions returning findings. The same rules check
 * rows coming from Qualtrics before they are merged.
 */

import type { Finding } from '../finding.js';
import { isValidEmail } from '../mail/address.js';
import { isValidTimeZone } from '../util/dates.js';
import { ROSTER_STATUSES, type RosterRow } from './read.js';

/** DIDs become file names (outbox/dry-run/D/<DID>.eml), so they are kept to a safe alphabet. */
const didPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

type Rule = (rows: readonly RosterRow[]) => Finding[];

/**
 * The row's DID when it can be trusted to be one: safe characters, on a row whose values line up
 * with the header. On a misaligned row the "DID" may be a name, so it is never quoted.
 */
export function trustedDid(row: RosterRow): string | undefined {
  return row.shapeOk && didPattern.test(row.did) ? row.did : undefined;
}

/** "P0007", or "row 7" when the DID cannot be trusted: how other findings name a row. */
const rowLabel = (row: RosterRow): string => trustedDid(row) ?? `row ${row.row}`;

/** Messages never quote roster values; the offending cell goes in `value` (CLI only). */
function rowFinding(
  row: RosterRow,
  severity: Finding['severity'],
  code: string,
  column: string,
  message: string,
  fix: string,
  value?: string,
): Finding {
  const did = trustedDid(row);
  return {
    severity,
    scope: 'row',
    code,
    row: row.row,
    column,
    message,
    fix,
    ...(did !== undefined ? { did } : {}),
    ...(value !== undefined ? { value } : {}),
  };
}

/** Problems with e-mail or time zone only matter for people we write to. */
const severityFor = (row: RosterRow): Finding['severity'] => (row.status === 'active' ? 'error' : 'warning');

const didPresentAndSafe: Rule = (rows) =>
  rows.flatMap((row) => {
    if (row.did === '')
      return [
        rowFinding(
          row,
          'error',
          'did_empty',
          'did',
          'The DID is empty.',
          "Fill in the participant's DID, or delete the row if it is not a participant.",
        ),
      ];
    if (!didPattern.test(row.did)) {
      return [
        rowFinding(
          row,
          'error',
          'did_invalid',
          'did',
          'The DID contains characters other than letters, digits, ".", "_" and "-", or is longer than 64.',
          'Correct the DID to the form used in the compliance database (e.g. P0123).',
          row.did,
        ),
      ];
    }
    return [];
  });

/** Groups rows by a key, keeping only keys that occur more than once (cheap for 100k unique keys). */
function duplicatesBy(
  rows: readonly RosterRow[],
  keyOf: (row: RosterRow) => string | undefined,
): Map<string, RosterRow[]> {
  const firstSeen = new Map<string, RosterRow>();
  const duplicates = new Map<string, RosterRow[]>();
  for (const row of rows) {
    const key = keyOf(row);
    if (key === undefined) continue;
    const first = firstSeen.get(key);
    if (first === undefined) {
      firstSeen.set(key, row);
      continue;
    }
    const group = duplicates.get(key);
    if (group === undefined) duplicates.set(key, [first, row]);
    else group.push(row);
  }
  return duplicates;
}

const didUnique: Rule = (rows) =>
  [...duplicatesBy(rows, (row) => (row.did === '' ? undefined : row.did)).values()].flatMap((group) =>
    group.map((row) =>
      rowFinding(
        row,
        'error',
        'did_duplicate',
        'did',
        `The same DID appears on rows ${group.map((r) => r.row).join(', ')}; none of them is e-mailed until it is unique.`,
        'Keep one row per DID; fix the DID that was mistyped.',
      ),
    ),
  );

const emailValid: Rule = (rows) =>
  rows.flatMap((row) => {
    if (row.email === '')
      return [
        rowFinding(
          row,
          severityFor(row),
          'email_missing',
          'email',
          'The e-mail address is empty.',
          "Fill in the participant's e-mail address.",
        ),
      ];
    if (!isValidEmail(row.email)) {
      // The address itself is never echoed: findings go to Slack and logs.
      return [
        rowFinding(
          row,
          severityFor(row),
          'email_invalid',
          'email',
          'The e-mail address is not valid (expected name@domain.tld with no spaces).',
          'Correct the address in the roster.',
        ),
      ];
    }
    return [];
  });

const emailUnique: Rule = (rows) =>
  [
    ...duplicatesBy(rows, (row) =>
      row.email === '' || row.status !== 'active' ? undefined : row.email.toLowerCase(),
    ).values(),
  ].flatMap((group) =>
    group.map((row) =>
      rowFinding(
        row,
        'error',
        'email_duplicate',
        'email',
        `The same e-mail address is used by ${group.map(rowLabel).join(', ')}; one participant would receive another's data, so none of them is e-mailed.`,
        'Correct the address that was copied to the wrong row.',
      ),
    ),
  );

/** Trimmed and lower-cased: how two addresses are compared. */
const addressKey = (email: string): string => email.trim().toLowerCase();

/**
 * Someone who withdrew or opted out is not written to again under another DID: an active row
 * whose address (case-insensitive, trimmed) is on a withdrawn or opted-out row is blocked.
 */
const emailSuppressed: Rule = (rows) => {
  const suppressedBy = new Map<string, RosterRow[]>();
  for (const row of rows) {
    if ((row.status !== 'withdrawn' && row.status !== 'opted_out') || row.email.trim() === '') continue;
    const key = addressKey(row.email);
    const group = suppressedBy.get(key) ?? [];
    group.push(row);
    suppressedBy.set(key, group);
  }
  if (suppressedBy.size === 0) return [];
  return rows.flatMap((row) => {
    if (row.status !== 'active' || row.email.trim() === '') return [];
    const by = suppressedBy.get(addressKey(row.email));
    if (by === undefined) return [];
    const label = (r: RosterRow) => `${rowLabel(r)} (${r.status.replace('_', ' ')})`;
    return [
      rowFinding(
        row,
        'error',
        'email_suppressed',
        'email',
        `${rowLabel(row)} uses the e-mail address of ${by.map(label).join(', ')}; it is not e-mailed.`,
        'If this is the same person, they asked not to be contacted: set the row to withdrawn or opted_out. If not, correct the address.',
      ),
    ];
  });
};

const statusKnown: Rule = (rows) =>
  rows.flatMap((row) =>
    (ROSTER_STATUSES as readonly string[]).includes(row.status)
      ? []
      : [
          rowFinding(
            row,
            'error',
            'status_unknown',
            'status',
            `The status is not one of ${ROSTER_STATUSES.join(', ')}.`,
            'Use one of the listed statuses (empty means active).',
            row.status,
          ),
        ],
  );

const timezoneValid: Rule = (rows) =>
  rows.flatMap((row) =>
    row.timezone === '' || isValidTimeZone(row.timezone)
      ? []
      : [
          rowFinding(
            row,
            severityFor(row),
            'timezone_invalid',
            'timezone',
            'The time zone is not an IANA time zone.',
            'Use a name such as Europe/London or America/Chicago, or leave it empty.',
            row.timezone,
          ),
        ],
  );

const namesPrintable: Rule = (rows) =>
  rows.flatMap((row) =>
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    [row.firstName, row.lastName].some((name) => /[\u0000-\u001f\u007f]/.test(name))
      ? [
          rowFinding(
            row,
            'warning',
            'name_control_characters',
            'first_name',
            'The name contains line breaks or control characters; they are replaced by spaces in the e-mail.',
            'Clean up the name in the roster.',
          ),
        ]
      : [],
  );

export const rosterRules: readonly Rule[] = [
  didPresentAndSafe,
  didUnique,
  emailValid,
  emailUnique,
  emailSuppressed,
  statusKnown,
  timezoneValid,
  namesPrintable,
];

export function checkRosterRows(rows: readonly RosterRow[]): Finding[] {
  return rosterRules.flatMap((rule) => rule(rows));
}
