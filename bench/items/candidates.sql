-- Matching a found object (persistence::items::candidates): the open lost and stolen
-- items of its kind in the box of 5 km around it (0.07 degree of longitude at 50 N), within 60 days before the find, at
-- most 2,000 (the service then scores them in memory). One probe in 13 is of category
-- `other` (it may be any object: no category filter, items_matching_any_idx). The
-- service reads the band, then the items without coordinates: two index ranges.
\set cat random(0, 12)
\set la random(0, 20999)
\set lo random(0, 39999)
\set day random(0, 700)
\if :cat = 0
SELECT items.filing_id, items.position, items.role, items.category, items.brand, items.model,
       items.colour, items.description, items.lat, items.lon, items.municipality_id,
       items.occurred_at, filings.unit_id, filings.reference
FROM items INNER JOIN filings ON filings.id = items.filing_id
WHERE items.role IN ('lost', 'stolen') AND items.recovered_at IS NULL
  AND filings.status IN ('submitted', 'transferred', 'taken_in_charge', 'info_requested', 'registered', 'redirected')
  AND filings.erased_at IS NULL
  AND items.occurred_at BETWEEN now() - make_interval(days => :day + 60) AND now() - make_interval(days => :day - 1)
  AND items.lat BETWEEN 49.4 + :la / 10000.0 - 0.045 AND 49.4 + :la / 10000.0 + 0.045
  AND items.lon BETWEEN 2.5 + :lo / 10000.0 - 0.07 AND 2.5 + :lo / 10000.0 + 0.07
LIMIT 2000;
SELECT items.filing_id FROM items INNER JOIN filings ON filings.id = items.filing_id
WHERE items.role IN ('lost', 'stolen') AND items.recovered_at IS NULL
  AND filings.status IN ('submitted', 'transferred', 'taken_in_charge', 'info_requested', 'registered', 'redirected')
  AND filings.erased_at IS NULL
  AND items.occurred_at BETWEEN now() - make_interval(days => :day + 60) AND now() - make_interval(days => :day - 1)
  AND items.lat IS NULL
LIMIT 2000;
\else
SELECT items.filing_id, items.position, items.role, items.category, items.brand, items.model,
       items.colour, items.description, items.lat, items.lon, items.municipality_id,
       items.occurred_at, filings.unit_id, filings.reference
FROM items INNER JOIN filings ON filings.id = items.filing_id
WHERE items.role IN ('lost', 'stolen') AND items.recovered_at IS NULL
  AND filings.status IN ('submitted', 'transferred', 'taken_in_charge', 'info_requested', 'registered', 'redirected')
  AND filings.erased_at IS NULL
  AND items.category IN ((ARRAY['wallet', 'bag', 'phone', 'tablet', 'laptop', 'camera', 'jewellery', 'bicycle', 'id_document', 'bank_card', 'keys', 'clothing'])[:cat], 'other')
  AND items.occurred_at BETWEEN now() - make_interval(days => :day + 60) AND now() - make_interval(days => :day - 1)
  AND items.lat BETWEEN 49.4 + :la / 10000.0 - 0.045 AND 49.4 + :la / 10000.0 + 0.045
  AND items.lon BETWEEN 2.5 + :lo / 10000.0 - 0.07 AND 2.5 + :lo / 10000.0 + 0.07
LIMIT 2000;
SELECT items.filing_id FROM items INNER JOIN filings ON filings.id = items.filing_id
WHERE items.role IN ('lost', 'stolen') AND items.recovered_at IS NULL
  AND filings.status IN ('submitted', 'transferred', 'taken_in_charge', 'info_requested', 'registered', 'redirected')
  AND filings.erased_at IS NULL
  AND items.category IN ((ARRAY['wallet', 'bag', 'phone', 'tablet', 'laptop', 'camera', 'jewellery', 'bicycle', 'id_document', 'bank_card', 'keys', 'clothing'])[:cat], 'other')
  AND items.occurred_at BETWEEN now() - make_interval(days => :day + 60) AND now() - make_interval(days => :day - 1)
  AND items.lat IS NULL
LIMIT 2000;
\endif
