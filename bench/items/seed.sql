-- Items at scale (issue 20): two items per filing of bench/sql/seed-filings.sql (run it
-- first with count = 500,000 for 1,000,000 items), each with one object identifier, and
-- the scams' IBANs (one IBAN per 20 scams: clusters). PostgreSQL only; run by
-- bench/items/run with psql.
--
-- * Roles: lost 40 %, stolen 30 %, found 30 % (by the row's number, not the procedure:
--   the bench wants the table's shape, not plausible filings).
-- * Categories: the catalogue's 13, uniform; brands from a list of 20; colours of 8.
-- * Places: uniform over Luxembourg and Belgium (49.4–51.5 N, 2.5–6.5 E); times: the
--   filing's facts date.

\set ON_ERROR_STOP on

INSERT INTO items (filing_id, position, role, category, brand, model, colour, description,
    serial_typed, lat, lon, municipality_id, occurred_at)
SELECT f.id, p.position,
    (ARRAY['lost', 'lost', 'lost', 'lost', 'stolen', 'stolen', 'stolen', 'found', 'found', 'found'])[1 + (f.n * 2 + p.position) % 10],
    (ARRAY['wallet', 'bag', 'phone', 'tablet', 'laptop', 'camera', 'jewellery', 'bicycle', 'id_document', 'bank_card', 'keys', 'clothing', 'other'])[1 + (f.n * 7 + p.position) % 13],
    (ARRAY['Gazelle', 'Trek', 'Cube', 'Samsung', 'Apple', 'Google', 'Fossil', 'Guess', 'Eastpak', 'Longchamp', 'Canon', 'Dell', 'Pandora', 'Xiaomi', 'Decathlon', 'Brompton', 'Samsonite', 'North Face', 'Renault', 'Tommy Hilfiger'])[1 + (f.n * 13 + p.position) % 20],
    NULL,
    (ARRAY['black', 'blue', 'red', 'white', 'brown', 'green', 'grey', 'pink'])[1 + (f.n * 3 + p.position) % 8],
    'object number ' || f.n || ' with a ' || (ARRAY['black', 'blue', 'red', 'white'])[1 + f.n % 4] || ' case and a sticker',
    'SN' || lpad((f.n * 2 + p.position)::text, 9, '0'),
    49.4 + ((f.n * 2 + p.position) * 7919 % 100000) / 100000.0 * 2.1,
    2.5 + ((f.n * 2 + p.position) * 104729 % 100000) / 100000.0 * 4.0,
    f.municipality_id,
    coalesce(f.facts_from, f.created_at)
FROM (SELECT id, municipality_id, facts_from, created_at,
             row_number() OVER (ORDER BY id) AS n FROM filings) f
CROSS JOIN (VALUES (0), (1)) AS p(position);

INSERT INTO item_identifiers (filing_id, item_position, kind, normalised, typed)
SELECT filing_id, position,
    CASE category WHEN 'bicycle' THEN 'frame_number' ELSE 'serial_number' END,
    serial_typed, serial_typed
FROM items;

-- One IBAN per 20 online scams.
INSERT INTO item_identifiers (filing_id, item_position, kind, normalised, typed)
SELECT id, NULL, 'iban', 'FR76300060000112345' || lpad(((row_number() OVER (ORDER BY id)) / 20)::text, 8, '0'), 'IBAN'
FROM filings WHERE procedure_code = 'online_scam';

ANALYZE items;
ANALYZE item_identifiers;
