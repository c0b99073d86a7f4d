-- Matching a probe of category `other` (it may be any object): no category to bound
-- items_matching_idx, so its latitude band needs an index of its own, or the read walks
-- every unrecovered item of the role (459 ms at 1,000,000 items; bench/RESULTS.md,
-- issue 20). persistence::items::candidates.
CREATE INDEX items_matching_any_idx ON items (role, lat, occurred_at)
    WHERE recovered_at IS NULL;
