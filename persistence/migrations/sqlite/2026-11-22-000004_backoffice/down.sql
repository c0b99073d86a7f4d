ALTER TABLE filings DROP COLUMN info_answer;
ALTER TABLE filings DROP COLUMN info_request;
ALTER TABLE filings DROP COLUMN assigned_officer;
