-- The complainant's identity as their identity provider vouched for it (name, birth date,
-- address, national number, business), captured when the filing is created and again
-- when it is submitted. Sealed (AES-256-GCM, persistence::sealing): `sealed` is an
-- envelope naming its key, `key_id` repeats that key so that a rotation can find the
-- rows of a retired key. The plaintext is never stored.
CREATE TABLE filing_identities (
    filing_id   TEXT      PRIMARY KEY REFERENCES filings (id),
    key_id      TEXT      NOT NULL,
    sealed      TEXT      NOT NULL,
    captured_at TIMESTAMP NOT NULL
);
CREATE INDEX filing_identities_key_idx ON filing_identities (key_id);
