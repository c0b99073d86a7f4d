DROP INDEX filings_updated_at_idx;
DROP TABLE counter_counts;
DROP TABLE statistics_refreshes;
DROP TABLE statistics_times;
DROP TABLE statistics_cells;
