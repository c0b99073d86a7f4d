-- Items as records (issue 20, docs/ITEMS.md): each object of a filing, and the
-- identifiers of its objects and of the filing itself (a scam's IBAN, a drive-off's
-- plate), normalised and indexed. Written with the filing, in its transaction; the
-- existing filings' items are read from their facts by the service at start-up
-- (item_backfills records that it was done: the normalisation rules are Rust's).
CREATE TABLE items (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    filing_id      TEXT      NOT NULL REFERENCES filings (id),
    position       INTEGER   NOT NULL,
    role           TEXT      NOT NULL,
    category       TEXT      NOT NULL,
    brand          TEXT,
    model          TEXT,
    colour         TEXT,
    description    TEXT,
    serial_typed   TEXT,
    lat            REAL,
    lon            REAL,
    municipality_id TEXT,
    occurred_at    TIMESTAMP,
    recovered_at   TIMESTAMP,
    UNIQUE (filing_id, position)
);
-- Matching: the unrecovered lost/stolen (or found) objects of a kind, by latitude band
-- and time window (occurred_at is always set: the facts' date, else the submission's).
CREATE INDEX items_matching_idx ON items (role, category, lat, occurred_at)
    WHERE recovered_at IS NULL;

CREATE TABLE item_identifiers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    filing_id     TEXT    NOT NULL REFERENCES filings (id),
    item_position INTEGER,
    kind          TEXT    NOT NULL,
    normalised    TEXT    NOT NULL,
    typed         TEXT    NOT NULL
);
CREATE INDEX item_identifiers_normalised_idx ON item_identifiers (normalised, kind);
CREATE INDEX item_identifiers_filing_idx ON item_identifiers (filing_id);

-- What the filing's items were computed from (domain::items::Extract::fingerprint).
CREATE TABLE item_fingerprints (
    filing_id   TEXT PRIMARY KEY REFERENCES filings (id),
    fingerprint TEXT NOT NULL
);

-- The public stolen-item check's counts, per UTC day, kind and answer: no IP, no
-- identifier.
CREATE TABLE item_checks (
    day     TEXT   NOT NULL,
    kind    TEXT   NOT NULL,
    outcome TEXT   NOT NULL,
    count   BIGINT NOT NULL,
    PRIMARY KEY (day, kind, outcome)
);

CREATE TABLE item_backfills (
    name    TEXT PRIMARY KEY,
    done_at TIMESTAMP NOT NULL
);

-- The owners told that an object that may be theirs was found: once per pair.
CREATE TABLE item_match_notices (
    lost_filing_id  TEXT      NOT NULL REFERENCES filings (id),
    found_filing_id TEXT      NOT NULL REFERENCES filings (id),
    notified_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (lost_filing_id, found_filing_id)
);
