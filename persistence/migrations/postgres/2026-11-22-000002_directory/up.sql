-- The directory of police units, in datasets (the shipped reference, operators' files).
-- An import replaces one dataset's rows in one transaction. Names, contact details and
-- postal codes are JSON or space-separated text: read whole, never queried inside.
CREATE TABLE directory_datasets (
    dataset     TEXT      PRIMARY KEY,
    version     TEXT      NOT NULL,
    checksum    TEXT      NOT NULL,
    imported_at TIMESTAMP NOT NULL
);

CREATE TABLE directory_municipalities (
    id           TEXT PRIMARY KEY,
    dataset      TEXT NOT NULL,
    country      TEXT NOT NULL,
    code         TEXT NOT NULL,
    names        TEXT NOT NULL,
    postal_codes TEXT NOT NULL
);
CREATE INDEX directory_municipalities_dataset_idx ON directory_municipalities (dataset);

CREATE TABLE directory_units (
    id                TEXT    PRIMARY KEY,
    dataset           TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    official_number   TEXT,
    country           TEXT    NOT NULL,
    names             TEXT    NOT NULL,
    contact           TEXT    NOT NULL,
    timezone          TEXT    NOT NULL,
    hours             TEXT    NOT NULL,
    exceptions        TEXT    NOT NULL,
    hours_are_default BOOLEAN NOT NULL,
    valid_from        DATE,
    valid_until       DATE,
    institution       TEXT,
    confidence        TEXT
);
CREATE INDEX directory_units_dataset_idx ON directory_units (dataset);

CREATE TABLE directory_coverage (
    id              BIGSERIAL PRIMARY KEY,
    dataset         TEXT NOT NULL,
    unit_id         TEXT NOT NULL,
    municipality_id TEXT NOT NULL,
    valid_from      DATE,
    valid_until     DATE
);
CREATE INDEX directory_coverage_dataset_idx ON directory_coverage (dataset);

CREATE TABLE directory_shapes (
    municipality_id TEXT PRIMARY KEY,
    dataset         TEXT NOT NULL,
    geometry        TEXT NOT NULL
);
CREATE INDEX directory_shapes_dataset_idx ON directory_shapes (dataset);
