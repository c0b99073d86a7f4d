DROP INDEX filings_retention_idx;
ALTER TABLE filings DROP COLUMN erased_at;
