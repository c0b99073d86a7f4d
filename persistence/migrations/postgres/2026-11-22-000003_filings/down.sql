DROP TABLE filing_history;
DROP TABLE filings;
