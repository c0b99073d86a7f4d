DROP TABLE statistics_state;
DROP TABLE statistics_summary;
DROP TABLE statistics_filings;
