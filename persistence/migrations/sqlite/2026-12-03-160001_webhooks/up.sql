-- Webhooks (issue 16): a partner's endpoints, the events queued for them in the outbox
-- (channel `webhook`, `endpoint_id` set, the event type as `template`), and the log
-- of every delivery attempt that the partner reads.
CREATE TABLE webhook_endpoints (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id  TEXT      NOT NULL REFERENCES partners (id),
    url         TEXT      NOT NULL,
    -- JSON array of event types.
    event_types TEXT      NOT NULL,
    description TEXT      NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);
CREATE INDEX webhook_endpoints_partner_idx ON webhook_endpoints (partner_id);

-- (No REFERENCES here: SQLite could not drop the column again in down.sql.)
ALTER TABLE outbox_messages ADD COLUMN endpoint_id BIGINT;
CREATE INDEX outbox_messages_endpoint_idx ON outbox_messages (endpoint_id, filing_id, id);

CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id    BIGINT    NOT NULL REFERENCES outbox_messages (id),
    endpoint_id  BIGINT    NOT NULL REFERENCES webhook_endpoints (id),
    attempted_at TIMESTAMP NOT NULL,
    -- The receiver's status code, when it answered.
    status_code  INTEGER,
    -- The stable code of a failure (`http_5xx`, `timeout`, `address_refused`…).
    error        TEXT,
    duration_ms  BIGINT    NOT NULL
);
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id, id);

-- Rate limits (issue 16): fixed one-minute windows per key (`partner:<id>`,
-- `citizen:<subject>`), shared by every instance on the database.
CREATE TABLE rate_counters (
    key          TEXT      NOT NULL,
    window_start TIMESTAMP NOT NULL,
    count        BIGINT    NOT NULL,
    PRIMARY KEY (key, window_start)
);
