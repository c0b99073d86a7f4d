-- Decisions on filings, officers' internal notes, and the transactional outbox of
-- messages to citizens (delivered by a later worker).
ALTER TABLE filings ADD COLUMN record_number TEXT;
ALTER TABLE filings ADD COLUMN decision TEXT;
CREATE UNIQUE INDEX filings_record_number_idx ON filings (record_number);

CREATE TABLE filing_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    filing_id  TEXT      NOT NULL REFERENCES filings (id),
    author_id  TEXT      NOT NULL,
    unit_id    TEXT      NOT NULL,
    body       TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX filing_notes_filing_idx ON filing_notes (filing_id, id);

CREATE TABLE outbox_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    filing_id  TEXT      NOT NULL REFERENCES filings (id),
    channel    TEXT      NOT NULL,
    template   TEXT      NOT NULL,
    language   TEXT      NOT NULL,
    payload    TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at    TIMESTAMP
);
CREATE INDEX outbox_messages_pending_idx ON outbox_messages (sent_at, id);
