-- Appointments (issue 18): what each unit offers per kind of appointment, and the
-- bookings. Times are UTC; the template's times are the unit's local times (JSON).
CREATE TABLE appointment_capacities (
    unit_id               TEXT    NOT NULL,
    kind                  TEXT    NOT NULL,
    duration_minutes      INTEGER NOT NULL,
    desks                 INTEGER NOT NULL,
    weekly                TEXT    NOT NULL,
    exceptions            TEXT    NOT NULL,
    change_cutoff_minutes INTEGER NOT NULL,
    min_notice_minutes    INTEGER NOT NULL,
    horizon_days          INTEGER NOT NULL,
    timezone              TEXT    NOT NULL,
    active                INTEGER NOT NULL,
    version               BIGINT  NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    PRIMARY KEY (unit_id, kind)
);

CREATE TABLE appointments (
    id                TEXT PRIMARY KEY,
    filing_id         TEXT NOT NULL REFERENCES filings (id),
    owner_id          TEXT NOT NULL,
    unit_id           TEXT NOT NULL,
    kind              TEXT NOT NULL,
    starts_at         TIMESTAMP NOT NULL,
    ends_at           TIMESTAMP NOT NULL,
    status            TEXT NOT NULL,
    cancelled_by      TEXT,
    reason            TEXT,
    outcome           TEXT,
    officer_id        TEXT,
    identity_document TEXT,
    version           BIGINT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
-- The slot search and the agenda read a unit's bookings by time.
CREATE INDEX appointments_unit_time ON appointments (unit_id, kind, starts_at);
CREATE INDEX appointments_filing ON appointments (filing_id);
-- At most one booked appointment per filing, whatever the race.
CREATE UNIQUE INDEX appointments_one_booked ON appointments (filing_id) WHERE status = 'booked';

-- A unit's private calendar feed: the hash of its secret URL token (the token itself is
-- shown once, to the supervisor who creates it).
CREATE TABLE calendar_feeds (
    unit_id    TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
