-- Open statistics (issue 22, docs/STATISTICS.md): the counts read the filings submitted
-- in a window of months, erased ones (tombstones) included.
CREATE INDEX filings_statistics_idx ON filings (submitted_at, procedure_code, country, unit_id);
CREATE INDEX filing_history_status_idx ON filing_history (filing_id, to_status);
