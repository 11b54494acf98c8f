-- The built-in compliance query. Parameter :day is the report date (YYYY-MM-DD).
-- One row per DID with data on :day; every column becomes a template field. The query returns
-- numbers only: the wording ("6 h 17 min", "no surveys were due", times in the participant's
-- zone) is made in TypeScript (src/mail/view-model.ts), which also refuses impossible values.
-- Copy this file, change it, and point COMPLIANCE_QUERY_PATH at the copy to add fields.
WITH today AS (
  SELECT did, surveys_completed, surveys_expected, wear_minutes, last_sync_at
  FROM daily_compliance
  WHERE day = :day
),
study_to_date AS (
  -- One pass over each participant's days (the (did, day) primary key): totals since joining
  -- and the last 7 days as JSON [[day, completed, expected], ...] for "this week at a glance".
  SELECT c.did,
         SUM(c.surveys_completed) AS std_surveys_completed,
         SUM(c.surveys_expected)  AS std_surveys_expected,
         COUNT(*)                 AS std_days,
         -- AVG ignores NULLs: the average is over the days with wear data, counted here.
         COUNT(c.wear_minutes)    AS std_wear_days,
         CAST(ROUND(AVG(c.wear_minutes)) AS INTEGER) AS std_avg_wear_minutes,
         json_group_array(json_array(c.day, c.surveys_completed, c.surveys_expected))
           FILTER (WHERE c.day > date(:day, '-7 days')) AS week_json
  FROM daily_compliance c
  JOIN today t ON t.did = c.did
  WHERE c.day <= :day
  GROUP BY c.did
)
SELECT t.did,
       t.surveys_completed,
       t.surveys_expected,
       t.wear_minutes,
       t.last_sync_at,
       s.std_surveys_completed,
       s.std_surveys_expected,
       s.std_days,
       s.std_wear_days,
       s.std_avg_wear_minutes,
       s.week_json
FROM today t
JOIN study_to_date s ON s.did = t.did
