DROP INDEX items_matching_any_idx;
