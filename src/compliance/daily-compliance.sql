-- The built-in compliance query. Parameter :day is the report date (YYYY-MM-DD).
-- One row per DID with data on :day; every column becomes a template field.
-- Copy this file, change it, and point COMPLIANCE_QUERY_PATH at the copy to add fields.
WITH study_to_date AS (
  SELECT did,
         SUM(surveys_completed) AS std_surveys_completed,
         SUM(surveys_expected)  AS std_surveys_expected,
         COUNT(*)               AS std_days,
         CAST(ROUND(AVG(wear_minutes)) AS INTEGER) AS std_avg_wear_minutes
  FROM daily_compliance
  WHERE day <= :day AND did IN (SELECT did FROM daily_compliance WHERE day = :day)
  GROUP BY did
)
SELECT d.did,
       d.surveys_completed,
       d.surveys_expected,
       COALESCE(d.wear_minutes, 0) AS wear_minutes,
       CASE WHEN d.wear_minutes IS NULL THEN 'no wear recorded'
            ELSE (d.wear_minutes / 60) || ' h ' || printf('%02d', d.wear_minutes % 60) || ' min' END AS wear_time,
       COALESCE(strftime('%Y-%m-%d %H:%M UTC', d.last_sync_at), 'no sync recorded') AS last_sync,
       s.std_surveys_completed,
       s.std_surveys_expected,
       CAST(ROUND(100.0 * s.std_surveys_completed / MAX(s.std_surveys_expected, 1)) AS INTEGER) AS std_percent,
       s.std_days,
       (s.std_avg_wear_minutes / 60) || ' h ' || printf('%02d', s.std_avg_wear_minutes % 60) || ' min' AS std_avg_wear_time,
       CASE
         WHEN d.surveys_completed >= d.surveys_expected THEN 'You completed every survey yesterday. Thank you, that makes a real difference to the study.'
         WHEN d.surveys_completed * 2 >= d.surveys_expected THEN 'You completed most of yesterday''s surveys. Every one you complete helps us.'
         ELSE 'Yesterday was a light day for surveys. Today is a fresh start, and every survey you complete helps.'
       END AS encouragement
FROM daily_compliance d
JOIN study_to_date s ON s.did = d.did
WHERE d.day = :day

