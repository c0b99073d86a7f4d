-- Open statistics, bounded (issue 22, docs/STATISTICS.md). Replaces the summary of
-- 2026-12-05-400001 (statistics_cells, statistics_times, statistics_refreshes), dropped
-- here: the next refresh rebuilds everything from the filings.
DROP TABLE statistics_refreshes;
DROP TABLE statistics_times;
DROP TABLE statistics_cells;
--
-- Each filing's contribution to the statistics as the last refresh saw it: the cell it
-- counts in and its two processing times as log-scaled buckets
-- (domain::statistics::bucket). An incremental refresh reads the old contribution of a
-- changed filing here, so only the cells it leaves and enters are rebuilt.
CREATE TABLE statistics_filings (
    filing_id TEXT PRIMARY KEY,
    month TEXT NOT NULL,
    week TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    country TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    municipality_id TEXT NOT NULL,
    in_charge_bucket BIGINT,
    end_bucket BIGINT,
    registered BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    redirected BIGINT NOT NULL
);
CREATE INDEX statistics_filings_cell_idx
    ON statistics_filings (month, week, procedure_code, country, unit_id, municipality_id);
-- One row per cell: the counts, and the time histograms as text (`bucket:filings,...`,
-- at most a few hundred pairs whatever the number of filings).
CREATE TABLE statistics_summary (
    month TEXT NOT NULL,
    week TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    country TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    municipality_id TEXT NOT NULL,
    submitted BIGINT NOT NULL,
    registered BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    redirected BIGINT NOT NULL,
    in_charge_hours TEXT NOT NULL,
    end_hours TEXT NOT NULL,
    PRIMARY KEY (month, week, procedure_code, country, unit_id, municipality_id)
);
-- One row: when the last refresh started, and the summary's generation (bumped by every
-- refresh that rewrote a cell; the service caches its answers per generation).
CREATE TABLE statistics_state (
    id BIGINT PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    generation BIGINT NOT NULL
);
