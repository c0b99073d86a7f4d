-- Retention (issue 22, docs/RETENTION.md): when the retention job erased a filing's
-- personal data. The row stays as a tombstone (procedure, status, unit, municipality,
-- times) for the statistics; every personal column is emptied. The index serves the
-- job's search for candidates (not erased, by status and age).
ALTER TABLE filings ADD COLUMN erased_at TIMESTAMP;
CREATE INDEX filings_retention_idx ON filings (status, updated_at) WHERE erased_at IS NULL;
