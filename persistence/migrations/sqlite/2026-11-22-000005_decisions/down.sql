DROP TABLE outbox_messages;
DROP TABLE filing_notes;
DROP INDEX filings_record_number_idx;
ALTER TABLE filings DROP COLUMN decision;
ALTER TABLE filings DROP COLUMN record_number;
