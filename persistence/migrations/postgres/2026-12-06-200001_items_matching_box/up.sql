-- Matching reads the items in the bounding box of the probe's radius (latitude and
-- longitude), in a time window: with the longitude in the index, the box is checked on
-- the index's entries and only its items are fetched (a 5 km band of latitude alone
-- holds every item of that band across the two countries). A probe of category
-- `other` (it may be any object) has no category to bound items_matching_idx, so it
-- reads through an index of its own; without it, it walked every unrecovered item of
-- the role (459 ms at 1,000,000 items; bench/RESULTS.md, issue 20).
-- persistence::items::candidates.
DROP INDEX items_matching_idx;
CREATE INDEX items_matching_idx ON items (role, category, lat, lon, occurred_at)
    WHERE recovered_at IS NULL;
CREATE INDEX items_matching_any_idx ON items (role, lat, lon, occurred_at)
    WHERE recovered_at IS NULL;
