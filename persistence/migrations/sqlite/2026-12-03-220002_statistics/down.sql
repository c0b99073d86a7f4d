DROP INDEX filing_history_status_idx;
DROP INDEX filings_statistics_idx;
