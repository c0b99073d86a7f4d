-- Open statistics (issue 22, docs/STATISTICS.md): the summary the public table reads,
-- refreshed by the statistics job (`ecommissariat statistics refresh`). Counts and
-- time histograms (whole hours) per procedure, country, unit, municipality, ISO week and
-- month of submission; a week across two months has a row in each.
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
CREATE TABLE counter_counts (
    unit_id TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    month TEXT NOT NULL,
    country TEXT NOT NULL,
    count BIGINT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (unit_id, procedure_code, month)
);
CREATE INDEX counter_counts_month_idx ON counter_counts (month);
CREATE INDEX filings_updated_at_idx ON filings (updated_at);
