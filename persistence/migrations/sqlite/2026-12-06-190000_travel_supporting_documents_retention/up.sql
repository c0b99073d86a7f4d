-- Runs outside a transaction (metadata.toml) so that foreign keys can be switched off
-- while `attachments` is rebuilt without its reference to filings (SQLite cannot drop a
-- constraint: the documented 12-step rebuild).
--
-- Issue 19, what remained (docs/DOCUMENTS.md, docs/RETENTION.md). Named 2026-12-06, not
-- 2026-12-01-190000: diesel applies pending migrations in version order, and this one
-- changes tables made on 2026-12-03 and 2026-12-05.
--
-- A sole holder's supporting documents are evidence files in `attachments` (origin
-- `supporting_document`), whose `filing_id` is then the travel request's id.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE attachments_new (
    id                TEXT       PRIMARY KEY,
    filing_id         TEXT       NOT NULL,
    supplement_id     TEXT,
    origin            TEXT       NOT NULL,
    state             TEXT       NOT NULL,
    file_name         TEXT       NOT NULL,
    media_kind        TEXT,
    size_bytes        BIGINT     NOT NULL DEFAULT 0,
    sha256            TEXT,
    stripped          BOOLEAN    NOT NULL DEFAULT 0,
    viewing_size      BIGINT,
    key_id            TEXT       NOT NULL,
    data_key          TEXT       NOT NULL,
    uploaded_by_role  TEXT       NOT NULL,
    uploaded_by       TEXT       NOT NULL,
    link_id           TEXT,
    created_at        TIMESTAMP  NOT NULL,
    completed_at      TIMESTAMP
);
INSERT INTO attachments_new (id, filing_id, supplement_id, origin, state, file_name,
    media_kind, size_bytes, sha256, stripped, viewing_size, key_id, data_key,
    uploaded_by_role, uploaded_by, link_id, created_at, completed_at)
SELECT id, filing_id, supplement_id, origin, state, file_name, media_kind, size_bytes,
    sha256, stripped, viewing_size, key_id, data_key, uploaded_by_role, uploaded_by,
    link_id, created_at, completed_at
FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE INDEX attachments_filing_idx ON attachments (filing_id, created_at);
CREATE INDEX attachments_state_idx ON attachments (state, created_at);
CREATE INDEX attachments_key_idx ON attachments (key_id);

-- The end of the trip (the document's expiry), which the retention periods of a request
-- under review or approved count from; and when the retention job erased the request.
ALTER TABLE travel_requests ADD COLUMN trip_ends_at TIMESTAMP;
ALTER TABLE travel_requests ADD COLUMN erased_at TIMESTAMP;
CREATE INDEX travel_requests_retention_idx ON travel_requests (id) WHERE erased_at IS NULL;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
