DROP INDEX travel_requests_retention_idx;
ALTER TABLE travel_requests DROP COLUMN erased_at;
ALTER TABLE travel_requests DROP COLUMN trip_ends_at;
DELETE FROM attachments WHERE origin = 'supporting_document';
