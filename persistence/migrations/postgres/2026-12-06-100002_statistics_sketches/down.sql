DROP TABLE statistics_state;
DROP TABLE statistics_summary;
DROP TABLE statistics_filings;
-- The summary of 2026-12-05-400001, empty: a refresh fills it.
CREATE TABLE statistics_cells (
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
    PRIMARY KEY (month, week, procedure_code, country, unit_id, municipality_id)
);
CREATE TABLE statistics_times (
    month TEXT NOT NULL,
    week TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    country TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    municipality_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    hours BIGINT NOT NULL,
    filings BIGINT NOT NULL,
    PRIMARY KEY (month, week, procedure_code, country, unit_id, municipality_id, kind, hours)
);
-- One row: when the last refresh started (the next one re-summarises the months of the
-- filings changed since, with a margin).
CREATE TABLE statistics_refreshes (
    id BIGINT PRIMARY KEY,
    started_at TIMESTAMP NOT NULL
);
-- Counts filed at the counter, imported per unit by its supervisors (CSV).
