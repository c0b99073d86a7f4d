DROP INDEX filings_owner_channel_idx;
ALTER TABLE filings DROP COLUMN channel;
