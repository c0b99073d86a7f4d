-- Issue 19, what remained (docs/DOCUMENTS.md, docs/RETENTION.md).
--
-- Named 2026-12-06, not with this session's 2026-12-01-190000 prefix: diesel applies the
-- pending migrations in version order, and this one changes `attachments` (2026-12-03)
-- and `travel_requests` (2026-12-05), which a 2026-12-01 version would run before.
--
-- A sole holder's supporting documents (court decision, death certificate) are evidence
-- files in `attachments` (origin `supporting_document`), so the evidence store, its
-- encryption, checks, cleanup and key rotation hold for them unchanged: `filing_id` is
-- then the travel request's id, and no longer references filings (as the outbox's did).
ALTER TABLE attachments DROP CONSTRAINT attachments_filing_id_fkey;

-- The end of the trip (the end of the return day in the unit's time zone: the document's
-- expiry), which the retention periods of a request under review or approved count from;
-- and when the retention job erased the request (the row stays as a tombstone).
ALTER TABLE travel_requests ADD COLUMN trip_ends_at TIMESTAMP;
ALTER TABLE travel_requests ADD COLUMN erased_at TIMESTAMP;
CREATE INDEX travel_requests_retention_idx ON travel_requests (id) WHERE erased_at IS NULL;
