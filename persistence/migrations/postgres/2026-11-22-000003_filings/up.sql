-- Citizens' filings. Structured parts (place, facts, contact, answers, routing) are JSON
-- text, read and written whole; what queues filter on has its own column.
CREATE TABLE filings (
    id                   TEXT      PRIMARY KEY,
    owner_id             TEXT      NOT NULL,
    procedure_code       TEXT      NOT NULL,
    status               TEXT      NOT NULL,
    version              BIGINT    NOT NULL,
    country              TEXT      NOT NULL,
    declarant            TEXT      NOT NULL,
    language             TEXT      NOT NULL,
    place                TEXT      NOT NULL,
    facts_from           TIMESTAMP,
    facts_until          TIMESTAMP,
    facts                TEXT      NOT NULL,
    answers              TEXT      NOT NULL,
    contact              TEXT      NOT NULL,
    confirmation_channel TEXT      NOT NULL,
    unit_id              TEXT,
    municipality_id      TEXT,
    routing              TEXT,
    reference            TEXT      UNIQUE,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    submitted_at         TIMESTAMP
);
CREATE INDEX filings_owner_idx ON filings (owner_id, created_at, id);
CREATE INDEX filings_owner_submitted_idx ON filings (owner_id, submitted_at);
CREATE INDEX filings_unit_queue_idx ON filings (unit_id, status, submitted_at, id);

CREATE TABLE filing_history (
    id          BIGSERIAL PRIMARY KEY,
    filing_id   TEXT      NOT NULL REFERENCES filings (id),
    occurred_at TIMESTAMP NOT NULL,
    from_status TEXT,
    to_status   TEXT      NOT NULL,
    action      TEXT      NOT NULL,
    actor_role  TEXT      NOT NULL,
    actor_id    TEXT      NOT NULL
);
CREATE INDEX filing_history_filing_idx ON filing_history (filing_id, id);
