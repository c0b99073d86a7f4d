-- The discreet alert (issue 17, docs/ALERTS.md). Unlike the chat, an alert and
-- everything done to it is kept and audited.
--
-- alerts: one row per alert; `unit_id` is the unit holding it now (the routed unit, or
-- the fallback after an escalation), `routed_at` when it reached that unit (the
-- acknowledgement delay runs from it).
CREATE TABLE alerts (
    id                TEXT             PRIMARY KEY,
    citizen_id        TEXT             NOT NULL,
    client_id         TEXT,
    kind              TEXT             NOT NULL,
    text              TEXT,
    country           TEXT,
    first_unit_id     TEXT             NOT NULL,
    unit_id           TEXT             NOT NULL,
    status            TEXT             NOT NULL,
    raised_at         TIMESTAMP        NOT NULL,
    routed_at         TIMESTAMP        NOT NULL,
    escalated_at      TIMESTAMP,
    acknowledged_at   TIMESTAMP,
    acknowledged_by   TEXT,
    ended_at          TIMESTAMP,
    ended_by          TEXT,
    cancel_failures   INTEGER          NOT NULL DEFAULT 0
);
CREATE INDEX alerts_citizen_idx ON alerts (citizen_id, raised_at);
CREATE INDEX alerts_due_idx ON alerts (status, routed_at);

-- The track: every position the citizen's phone sent, in order.
CREATE TABLE alert_positions (
    id          BIGSERIAL        PRIMARY KEY,
    alert_id    TEXT             NOT NULL REFERENCES alerts (id),
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    accuracy_m  DOUBLE PRECISION,
    recorded_at TIMESTAMP        NOT NULL
);
CREATE INDEX alert_positions_alert_idx ON alert_positions (alert_id, id);

-- What the streams carry: one row per event, for the unit that must see it. `seq` is the
-- streams' cursor; writers take one advisory lock until their commit
-- (persistence::alerts), so seqs become visible in increasing order.
CREATE TABLE alert_events (
    seq        BIGSERIAL PRIMARY KEY,
    alert_id   TEXT      NOT NULL REFERENCES alerts (id),
    unit_id    TEXT      NOT NULL,
    event      TEXT      NOT NULL,
    at         TIMESTAMP NOT NULL
);
CREATE INDEX alert_events_unit_idx ON alert_events (unit_id, seq);
CREATE INDEX alert_events_alert_idx ON alert_events (alert_id, seq);

-- The citizen's cancel code, sealed (AES-256-GCM, persistence::sealing: the key is not
-- in the database, so a copy of the database does not reveal a 4-digit code).
CREATE TABLE alert_cancel_codes (
    citizen_id TEXT      PRIMARY KEY,
    code_sealed  TEXT      NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
