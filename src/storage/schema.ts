/**
 * The state database's schema, as migrations: each entry runs once, in order, in its own
 * transaction, and PRAGMA user_version records how many have run. Append, never edit.
 */
export const migrations: string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    report_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    state TEXT NOT NULL,
    batch_hash TEXT NOT NULL,
    template_hash TEXT NOT NULL,
    mail_from TEXT,
    redirect_to TEXT,
    expires_at TEXT NOT NULL,
    summary_json TEXT NOT NULL,
    superseded_by TEXT,
    decided_by TEXT,
    decided_at TEXT,
    decision_reason TEXT,
    finished_at TEXT,
    slack_channel TEXT,
    slack_ts TEXT
  );
  CREATE INDEX runs_by_date ON runs(report_date, created_at);

  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id),
    report_date TEXT NOT NULL,
    did TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    to_masked TEXT,
    sha256 TEXT,
    message_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    failure_kind TEXT,
    smtp_response TEXT,
    owner TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (run_id, did)
  );
  -- No index on state: the send queue pages through a run in id order (a run's rows are
  -- contiguous), and every extra index on state would be rewritten on each state change.
  -- The ledger's central guarantee: for one report date, a participant has at most one message
  -- that may have reached them (sending, sent or unknown), across every run of that day.
  CREATE UNIQUE INDEX one_delivery_per_day ON messages(report_date, did)
    WHERE state IN ('sending', 'sent', 'unknown');

  CREATE TABLE locks (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
  );

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    run_id TEXT,
    report_date TEXT,
    batch_hash TEXT,
    detail_json TEXT
  );
  -- Append-only: the audit trail cannot be edited or trimmed through this database.
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

  CREATE TABLE health (
    check_name TEXT PRIMARY KEY,
    ok INTEGER NOT NULL,
    at TEXT NOT NULL,
    detail_json TEXT NOT NULL
  );
  `,
  `
  -- Failures threaded under a run's approval request in Slack, so a resumed send never posts the
  -- same failure twice, and a filed ticket is remembered.
  CREATE TABLE slack_failure_replies (
    run_id TEXT NOT NULL REFERENCES runs(id),
    did TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts TEXT,
    ticket_id TEXT,
    filed_by TEXT,
    filed_at TEXT,
    PRIMARY KEY (run_id, did)
  );
  -- One alert per condition per day: a row is the proof that today's alert was posted.
  CREATE TABLE alerts_posted (
    condition TEXT NOT NULL,
    day TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (condition, day)
  );
  `,
  `
  -- Why a run paused, for status and the approval request (it was only in the audit trail).
  ALTER TABLE runs ADD COLUMN pause_reason TEXT;
  -- Runs whose Slack request and failure thread must be brought up to date by the bot: written
  -- by every sender (the CLI included), drained by the bot, kept until Slack has accepted it.
  CREATE TABLE slack_sync_queue (
    run_id TEXT PRIMARY KEY REFERENCES runs(id),
    requested_at TEXT NOT NULL,
    next_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
  );
  `,
  `
  -- The day each DID was first seen active in the roster (validation or a dry run), and when the
  -- "no device data yet" onboarding reminder was posted for it: once per DID, ever.
  CREATE TABLE participants_seen (
    did TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    onboarding_reminded_at TEXT
  );
  `,
  `
  -- Bounces and unsubscribes (issue 11). Per-message tokens: the envelope tag and the
  -- List-Unsubscribe tag, HMACs we can look up when a bounce or an opt-out comes back.
  ALTER TABLE messages ADD COLUMN return_path_token TEXT;
  ALTER TABLE messages ADD COLUMN unsubscribe_token TEXT;
  ALTER TABLE messages ADD COLUMN bounce_status TEXT;
  ALTER TABLE messages ADD COLUMN bounce_diagnostic TEXT;
  ALTER TABLE messages ADD COLUMN bounced_at TEXT;
  ALTER TABLE messages ADD COLUMN soft_bounces INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN opted_out_at TEXT;
  CREATE INDEX messages_by_return_path_token ON messages(return_path_token) WHERE return_path_token IS NOT NULL;
  CREATE INDEX messages_by_unsubscribe_token ON messages(unsubscribe_token) WHERE unsubscribe_token IS NOT NULL;
  CREATE INDEX messages_by_message_id ON messages(message_id) WHERE message_id IS NOT NULL;
  -- Who is not e-mailed any more: a bounced address (its SHA-256, lower-cased; blocks until the
  -- roster's address changes) or a participant who opted out (by DID).
  CREATE TABLE suppressions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('bounced', 'opted_out')),
    did TEXT NOT NULL,
    address_hash TEXT,
    to_masked TEXT,
    status TEXT,
    run_id TEXT,
    at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX one_suppression ON suppressions(kind, did, IFNULL(address_hash, ''));
  -- Where check-bounces left off in each mailbox: nothing is counted twice, nothing deleted.
  CREATE TABLE imap_progress (
    mailbox TEXT PRIMARY KEY,
    uid_validity TEXT NOT NULL,
    last_uid INTEGER NOT NULL,
    checked_at TEXT NOT NULL
  );
  `,
  `
  -- Telling the team about bounces and opt-outs (issue 11), driven by what is stored: whoever
  -- records one (the schedule, /mail-bounces, a CLI shell, the unsubscribe page), the bot posts
  -- what has not been posted yet, once. A bounced message's thread reply (or its place in a
  -- summary) is remembered here; its "Ticket filed" row is in slack_failure_replies.
  ALTER TABLE messages ADD COLUMN bounce_noticed_at TEXT;
  -- Hard bounces (recent ones for the bounce-rate alert, the ones not yet told for the thread)
  -- found without a scan of the whole ledger at every drain.
  CREATE INDEX messages_bounced_at ON messages(bounced_at) WHERE state = 'bounced';
  -- When the channel was told about an opt-out ("S-0123 asked to stop the daily e-mails").
  ALTER TABLE suppressions ADD COLUMN noticed_at TEXT;
  `,
  `
  -- /metrics (issue 12): counters that never go down. Every time a message reaches an outcome,
  -- its row here goes up by one (a trigger, so the CLI's sends count too), and nothing lowers it:
  -- a failed or unknown message resent later counts once in failed/unknown and once in sent.
  -- at: the ledger time of the last such transition (the last 'sent' is the last send).
  CREATE TABLE message_outcomes (
    outcome TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    at TEXT
  );
  CREATE TRIGGER message_outcomes_no_update BEFORE UPDATE OF n ON message_outcomes
    WHEN NEW.n < OLD.n BEGIN SELECT RAISE(ABORT, 'message_outcomes only goes up'); END;
  CREATE TRIGGER message_outcomes_no_delete BEFORE DELETE ON message_outcomes
    BEGIN SELECT RAISE(ABORT, 'message_outcomes is append-only'); END;
  CREATE TRIGGER message_outcome_on_insert AFTER INSERT ON messages
    WHEN NEW.state IN ('sent', 'failed', 'bounced', 'unknown', 'skipped', 'blocked')
    BEGIN
      INSERT INTO message_outcomes (outcome, n, at) VALUES (NEW.state, 1, NEW.updated_at)
        ON CONFLICT (outcome) DO UPDATE SET n = n + 1, at = excluded.at;
    END;
  CREATE TRIGGER message_outcome_on_update AFTER UPDATE OF state ON messages
    WHEN NEW.state <> OLD.state AND NEW.state IN ('sent', 'failed', 'bounced', 'unknown', 'skipped', 'blocked')
    BEGIN
      INSERT INTO message_outcomes (outcome, n, at) VALUES (NEW.state, 1, NEW.updated_at)
        ON CONFLICT (outcome) DO UPDATE SET n = n + 1, at = excluded.at;
    END;
  -- Seeded from the ledger as it stands (earlier transitions were not recorded): a bounced
  -- message was sent first.
  INSERT INTO message_outcomes (outcome, n, at)
    SELECT state, COUNT(*), MAX(updated_at) FROM messages
    WHERE state IN ('failed', 'bounced', 'unknown', 'skipped', 'blocked') GROUP BY state;
  INSERT INTO message_outcomes (outcome, n, at)
    SELECT 'sent', COUNT(*), MAX(CASE WHEN state = 'sent' THEN updated_at END) FROM messages
    WHERE state IN ('sent', 'bounced') HAVING COUNT(*) > 0;

  -- A run's send, from the first message handed to the relay (claimed) to the last outcome, kept
  -- by the same triggers; send_seconds is fixed when the run first reaches done, so the histogram
  -- of runs never loses or moves an observation (a later resend does not change it).
  ALTER TABLE runs ADD COLUMN first_send_at TEXT;
  ALTER TABLE runs ADD COLUMN last_send_at TEXT;
  ALTER TABLE runs ADD COLUMN send_seconds REAL;
  CREATE TRIGGER run_send_started AFTER UPDATE OF state ON messages
    WHEN NEW.state = 'sending' AND OLD.state <> 'sending'
    BEGIN
      UPDATE runs SET first_send_at = NEW.updated_at WHERE id = NEW.run_id AND first_send_at IS NULL;
    END;
  CREATE TRIGGER run_send_outcome AFTER UPDATE OF state ON messages
    WHEN OLD.state = 'sending' AND NEW.state <> 'sending'
    BEGIN
      UPDATE runs SET last_send_at = NEW.updated_at WHERE id = NEW.run_id;
    END;
  CREATE TRIGGER run_send_seconds AFTER UPDATE OF state ON runs
    WHEN NEW.state = 'done' AND NEW.send_seconds IS NULL
      AND NEW.first_send_at IS NOT NULL AND NEW.last_send_at IS NOT NULL
    BEGIN
      UPDATE runs SET send_seconds = MAX(0, ROUND((julianday(NEW.last_send_at) - julianday(NEW.first_send_at)) * 86400.0, 3))
      WHERE id = NEW.id;
    END;
  -- What the participant's e-mail was made from (issue 12, the report): the configured compliance
  -- query's row for the day, as a completion code: 0 all surveys done, 1 some, 2 none, 3 a row
  -- without surveys_completed/surveys_expected; NULL: no row (skipped), or planned before this.
  ALTER TABLE messages ADD COLUMN completion INTEGER;
  -- Runs finished before this migration: their approval-to-finish time is the best estimate left.
  UPDATE runs SET send_seconds = MAX(0, ROUND((julianday(finished_at) - julianday(decided_at)) * 86400.0, 3))
    WHERE state = 'done' AND decided_at IS NOT NULL AND finished_at IS NOT NULL;
  `,
  `
  -- Every validation looks for repeated soft bounces (suppressions.ts softBouncingDids): without
  -- this, a scan of the whole ledger; with it, only the few soft-bounced messages are read.
  CREATE INDEX messages_soft_bounced ON messages(did) WHERE soft_bounces > 0;
  `,
  `
  -- The last set of active DIDs written to participants_seen whole (participants-seen.ts), by a
  -- fingerprint, and the first-seen day it was written for: a validation of the same set on the
  -- same day writes nothing instead of looking up every DID again.
  CREATE TABLE participants_seen_set (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    day TEXT NOT NULL,
    recorded_at TEXT NOT NULL
  );
  `,
];
