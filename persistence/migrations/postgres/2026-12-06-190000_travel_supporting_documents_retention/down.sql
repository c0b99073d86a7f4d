DROP INDEX travel_requests_retention_idx;
ALTER TABLE travel_requests DROP COLUMN erased_at;
ALTER TABLE travel_requests DROP COLUMN trip_ends_at;
DELETE FROM attachments WHERE origin = 'supporting_document';
ALTER TABLE attachments ADD CONSTRAINT attachments_filing_id_fkey
    FOREIGN KEY (filing_id) REFERENCES filings (id);
