-- Open statistics at scale (issue 22): after bench/sql/seed-filings.sql (count =
-- 1,000,000 filings over 730 days), the filings are moved into the last 365 days (a
-- year of 1 M filings), given a municipality of their unit, and a history: taken in
-- charge 0 to 72 hours after the submission, and, for the statuses past it, an outcome
-- 0 to 400 hours after that (and `closed` after a registration).
-- PostgreSQL only; run by bench/statistics/run with psql.

\set ON_ERROR_STOP on

-- Each filing's municipality is one of those its unit covers (directory_coverage),
-- picked by a hash of its id: the cells of the summary then follow the units, as real
-- filings do (a unit's filings are in its own municipalities).
CREATE TEMP TABLE bench_cover AS
SELECT unit_id, municipality_id,
       row_number() OVER (PARTITION BY unit_id ORDER BY municipality_id) - 1 AS rank,
       count(*) OVER (PARTITION BY unit_id) AS n
FROM directory_coverage;
CREATE INDEX ON bench_cover (unit_id, rank);
ANALYZE bench_cover;

UPDATE filings f SET
    submitted_at = CASE WHEN f.submitted_at IS NULL THEN NULL
        ELSE (now() AT TIME ZONE 'UTC') - ((now() AT TIME ZONE 'UTC') - f.submitted_at) / 2 END,
    created_at = (now() AT TIME ZONE 'UTC') - ((now() AT TIME ZONE 'UTC') - f.created_at) / 2,
    updated_at = (now() AT TIME ZONE 'UTC') - ((now() AT TIME ZONE 'UTC') - f.updated_at) / 2,
    municipality_id = c.municipality_id
FROM bench_cover c
WHERE c.unit_id = f.unit_id
  AND c.rank = (hashtext(f.id) & 2147483647) % c.n;

INSERT INTO filing_history (filing_id, occurred_at, from_status, to_status, action, actor_role, actor_id)
SELECT id, submitted_at + random() * interval '72 hours', 'submitted', 'taken_in_charge',
       'take_in_charge', 'officer', 'officer-1'
FROM filings
WHERE status IN ('taken_in_charge', 'info_requested', 'registered', 'rejected', 'redirected', 'closed');

INSERT INTO filing_history (filing_id, occurred_at, from_status, to_status, action, actor_role, actor_id)
SELECT f.id, h.occurred_at + random() * interval '400 hours', 'taken_in_charge',
       CASE WHEN f.status = 'closed' THEN 'registered' ELSE f.status END,
       CASE WHEN f.status IN ('closed', 'registered') THEN 'register'
            WHEN f.status = 'rejected' THEN 'reject' ELSE 'redirect' END,
       'officer', 'officer-1'
FROM filings f JOIN filing_history h ON h.filing_id = f.id AND h.to_status = 'taken_in_charge'
WHERE f.status IN ('registered', 'rejected', 'redirected', 'closed');

ANALYZE filings;
ANALYZE filing_history;
