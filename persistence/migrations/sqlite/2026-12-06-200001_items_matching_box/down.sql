DROP INDEX items_matching_any_idx;
DROP INDEX items_matching_idx;
CREATE INDEX items_matching_idx ON items (role, category, lat, occurred_at)
    WHERE recovered_at IS NULL;
