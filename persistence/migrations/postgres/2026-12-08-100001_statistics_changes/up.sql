-- The cells each refresh rebuilt (issue 22, docs/STATISTICS.md "The summary in
-- memory"): an instance holding the summary in memory at generation G reads the cells
-- changed after G and updates its copy in place, rather than reading the whole summary
-- again. Kept for the last 100 generations; a full rebuild empties it.
CREATE TABLE statistics_changes (
    generation BIGINT NOT NULL,
    month TEXT NOT NULL,
    week TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    country TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    municipality_id TEXT NOT NULL,
    PRIMARY KEY (generation, month, week, procedure_code, country, unit_id, municipality_id)
);
-- The first generation from which every later generation's changed cells are in
-- statistics_changes: a copy held at a generation G >= changes_from can be brought up
-- to date from them. NULL: none can (before the first refresh that records them, and
-- after a refresh by a binary that did not).
ALTER TABLE statistics_state ADD COLUMN changes_from BIGINT;
