-- Same tables as migrations/postgres, in SQLite's dialect. Timestamps are UTC.
CREATE TABLE idempotency_keys (
    caller              TEXT      NOT NULL,
    idempotency_key     TEXT      NOT NULL,
    request_fingerprint TEXT      NOT NULL,
    response_status     INTEGER,
    response_headers    TEXT,
    response_body       TEXT,
    created_at          TIMESTAMP NOT NULL,
    expires_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (caller, idempotency_key)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at   TIMESTAMP NOT NULL,
    actor_id      TEXT      NOT NULL,
    actor_role    TEXT      NOT NULL,
    actor_unit    TEXT,
    client_id     TEXT,
    operation     TEXT      NOT NULL,
    object_type   TEXT      NOT NULL,
    object_id     TEXT,
    justification TEXT,
    recipient     TEXT,
    outcome       TEXT      NOT NULL,
    request_id    TEXT
);
CREATE INDEX audit_events_object_idx ON audit_events (object_type, object_id, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;
