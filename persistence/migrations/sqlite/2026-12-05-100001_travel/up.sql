-- Runs outside a transaction (metadata.toml) so that foreign keys can be switched off
-- while outbox_messages is rebuilt without its reference to filings (SQLite cannot drop
-- a constraint: the documented 12-step rebuild).
PRAGMA foreign_keys = OFF;
BEGIN;
-- A minor's travel authorisation (issue 19; docs/DOCUMENTS.md): the requests, the other
-- holder's invitations (a hash of the single-use token, never the token) and the register
-- of issued documents with their revocation.
CREATE TABLE travel_requests (
    id               TEXT      PRIMARY KEY,
    -- The requester's and the second holder's pseudonymous account ids.
    requester_id     TEXT      NOT NULL,
    second_holder_id TEXT,
    -- The unit of the requester's municipality of residence, and that municipality.
    unit_id          TEXT      NOT NULL,
    municipality     TEXT      NOT NULL,
    status           TEXT      NOT NULL,
    -- The request (minor, trip, companion, other holder, the requester's e-mail), as
    -- JSON sealed with the keyring (persistence::sealing): personal data at rest.
    sealed_request   TEXT      NOT NULL,
    language         TEXT      NOT NULL,
    sole_holder      INTEGER   NOT NULL,
    -- The officer's rejection (or the refusal's absence of reason).
    decision_reason  TEXT,
    decided_by       TEXT,
    decided_at       TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX travel_requests_unit_idx ON travel_requests (unit_id, status, created_at);
CREATE INDEX travel_requests_requester_idx ON travel_requests (requester_id);
CREATE INDEX travel_requests_second_idx ON travel_requests (second_holder_id);

CREATE TABLE travel_invitations (
    -- SHA-256 of the link's token, lowercase hex.
    token_hash TEXT      PRIMARY KEY,
    request_id TEXT      NOT NULL REFERENCES travel_requests (id),
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX travel_invitations_request_idx ON travel_invitations (request_id);

-- The register of issued authorisations: what the online check reads.
CREATE TABLE travel_documents (
    id                TEXT      PRIMARY KEY,
    request_id        TEXT      NOT NULL UNIQUE REFERENCES travel_requests (id),
    unit_id           TEXT      NOT NULL,
    issued_at         TIMESTAMP NOT NULL,
    issued_by         TEXT      NOT NULL,
    -- The signed credential (the QR code's content).
    credential        TEXT      NOT NULL,
    revoked_at        TIMESTAMP,
    -- The account that revoked it, and as whom: `parent` or `police`.
    revoked_by        TEXT,
    revoked_as        TEXT,
    revocation_reason TEXT
);

-- The outbox also carries the travel requests' messages (the invitation, the refusal),
-- whose `filing_id` is then the request's id: it no longer references filings.
CREATE TABLE outbox_messages_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    filing_id    TEXT      NOT NULL,
    channel      TEXT      NOT NULL,
    template     TEXT      NOT NULL,
    language     TEXT      NOT NULL,
    payload      TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    sent_at      TIMESTAMP,
    status       TEXT      NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
    attempts     INTEGER   NOT NULL DEFAULT 0,
    available_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00',
    last_error   TEXT,
    claimed_by   TEXT,
    claimed_at   TIMESTAMP,
    batch        TEXT,
    topic        TEXT,
    endpoint_id  BIGINT
);
INSERT INTO outbox_messages_new (id, filing_id, channel, template, language, payload,
    created_at, sent_at, status, attempts, available_at, last_error, claimed_by, claimed_at,
    batch, topic, endpoint_id)
SELECT id, filing_id, channel, template, language, payload, created_at, sent_at, status,
    attempts, available_at, last_error, claimed_by, claimed_at, batch, topic, endpoint_id
FROM outbox_messages;
DROP TABLE outbox_messages;
ALTER TABLE outbox_messages_new RENAME TO outbox_messages;
CREATE INDEX outbox_messages_due_idx ON outbox_messages (channel, status, available_at, id);
CREATE INDEX outbox_messages_filing_idx ON outbox_messages (filing_id, id);
CREATE INDEX outbox_messages_batch_idx ON outbox_messages (batch);
CREATE INDEX outbox_messages_topic_idx ON outbox_messages (topic, status);
CREATE INDEX outbox_messages_endpoint_idx ON outbox_messages (endpoint_id, filing_id, id);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
