-- Fills the filings table with :count filings (default in bench/run: 1,000,000) spread
-- over the directory's units with a realistic mix of statuses, procedures and dates.
-- PostgreSQL only; run by `bench/run queue` with psql -v count=N.
--
-- * Units: the directory's local police zones, skewed so that some zones get more
--   filings than others (unit rank r gets a share proportional to 1/(r+10)).
-- * Statuses: 2 % draft, 9 % submitted, 5 % taken_in_charge, 1 % info_requested,
--   60 % registered, 6 % rejected, 3 % redirected, 2 % transferred, 4 % withdrawn,
--   8 % closed.
-- * Dates: submitted over the last 730 days; drafts have no unit and no submission.
-- The rows go in one statement, then ANALYZE, as after a real import.

\set ON_ERROR_STOP on

-- A reference number of the service's own shape (domain::filing::ReferenceNumber):
-- `EC-<year>-XXXX-XXXX-C`, the 40-bit body taken from the row's number (so unique), and
-- the check character over the year and the body (Horner's rule in base 32, modulo 37).
-- The service refuses to read a filing whose reference it cannot parse.
CREATE FUNCTION pg_temp.bench_reference(n bigint, yr int) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U';
    body text := '';
    payload text;
    acc bigint := 0;
BEGIN
    FOR i IN REVERSE 7..0 LOOP
        body := body || substr(alphabet, ((n >> (i * 5)) & 31)::int + 1, 1);
    END LOOP;
    payload := yr::text || body;
    FOR i IN 1..length(payload) LOOP
        acc := (acc * 32 + strpos(alphabet, substr(payload, i, 1)) - 1) % 37;
    END LOOP;
    RETURN 'EC-' || yr || '-' || substr(body, 1, 4) || '-' || substr(body, 5, 4) || '-'
        || substr(alphabet, acc::int + 1, 1);
END $$;

CREATE TEMP TABLE bench_units AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS rank
FROM directory_units
WHERE kind = 'local_police_zone';

CREATE TEMP TABLE bench_unit_weights AS
SELECT id, rank,
       sum(1.0 / (rank + 10)) OVER (ORDER BY rank) / sum(1.0 / (rank + 10)) OVER () AS upper
FROM bench_units;

INSERT INTO filings (
    id, owner_id, procedure_code, status, version, country, declarant, language, place,
    facts_from, facts_until, facts, answers, contact, confirmation_channel, unit_id,
    municipality_id, routing, reference, created_at, updated_at, submitted_at,
    assigned_officer, info_request, info_answer, record_number, decision)
SELECT
    'seed-' || lpad(g.n::text, 8, '0'),
    'seed-citizen-' || (g.n % 200000),
    (ARRAY['bicycle_theft', 'simple_theft', 'lost_object', 'damage', 'online_scam', 'fuel_drive_off'])[1 + (g.n % 6)],
    s.status,
    CASE WHEN s.status = 'draft' THEN 1 ELSE 3 END,
    'BE', 'person',
    (ARRAY['fr', 'nl', 'de', 'en'])[1 + (g.n % 4)],
    '{"lat":50.8,"lon":4.4,"description":"seeded"}',
    d.at - interval '1 day', NULL,
    '{"circumstances":"Seeded filing for the queue benchmark."}',
    '{"violence":false,"injury":false}',
    '{"email":"seed@example.org"}',
    '"email"',
    CASE WHEN s.status = 'draft' THEN NULL ELSE u.id END,
    NULL, NULL,
    CASE WHEN s.status = 'draft' THEN NULL
         ELSE pg_temp.bench_reference(g.n, extract(year FROM d.at)::int) END,
    d.at, d.at,
    CASE WHEN s.status = 'draft' THEN NULL ELSE d.at END,
    CASE WHEN s.status IN ('taken_in_charge', 'info_requested', 'registered', 'rejected', 'redirected', 'closed')
         THEN 'officer-' || (g.n % 7) END,
    NULL, NULL,
    CASE WHEN s.status = 'registered' THEN 'SEED-PV-' || lpad(g.n::text, 10, '0') END,
    NULL
FROM generate_series(1, :count) AS g(n)
CROSS JOIN LATERAL (SELECT random() AS r, random() AS unit_r, random() AS date_r
                    WHERE g.n > 0) AS x
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN x.r < 0.02 THEN 'draft'
        WHEN x.r < 0.11 THEN 'submitted'
        WHEN x.r < 0.16 THEN 'taken_in_charge'
        WHEN x.r < 0.17 THEN 'info_requested'
        WHEN x.r < 0.77 THEN 'registered'
        WHEN x.r < 0.83 THEN 'rejected'
        WHEN x.r < 0.86 THEN 'redirected'
        WHEN x.r < 0.88 THEN 'transferred'
        WHEN x.r < 0.92 THEN 'withdrawn'
        ELSE 'closed' END AS status) AS s
CROSS JOIN LATERAL (
    SELECT id FROM bench_unit_weights w WHERE w.upper >= x.unit_r ORDER BY w.upper LIMIT 1) AS u
CROSS JOIN LATERAL (
    SELECT (now() AT TIME ZONE 'UTC') - (x.date_r * interval '730 days') AS at) AS d;

ANALYZE filings;
