-- Idempotency keys: one row per (caller, key). A row without a response is a request
-- in progress; a row with one is replayed to a retry with the same fingerprint.
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

-- Audit events (EU Directive 2016/680, art. 25): who did what to which object, never
-- the object's content. Append-only: UPDATE, DELETE and TRUNCATE are refused below.
CREATE TABLE audit_events (
    id            BIGSERIAL PRIMARY KEY,
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

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
