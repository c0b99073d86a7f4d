-- Open311 GeoReport v2 (issue 22, docs/OPEN311.md).
-- A partner's Open311 API key: only its SHA-256 (hex) is kept; the key is shown once.
CREATE TABLE partner_open311_keys (
    key_hash    TEXT      PRIMARY KEY,
    partner_id  TEXT      NOT NULL UNIQUE REFERENCES partners (id),
    created_at  TIMESTAMP NOT NULL
);
-- The filings made through Open311: their public ids and tokens, the service code, and
-- the coarse location published (the centre of a grid cell, never the place itself).
CREATE TABLE open311_requests (
    filing_id          TEXT             PRIMARY KEY REFERENCES filings (id),
    service_request_id TEXT             NOT NULL UNIQUE,
    token              TEXT             NOT NULL UNIQUE,
    partner_id         TEXT             NOT NULL REFERENCES partners (id),
    service_code       TEXT             NOT NULL,
    requested_at       TIMESTAMP        NOT NULL,
    coarse_lat         DOUBLE PRECISION NOT NULL,
    coarse_lon         DOUBLE PRECISION NOT NULL
);
CREATE INDEX open311_requests_requested_idx ON open311_requests (requested_at);
