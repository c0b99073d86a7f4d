-- Evidence (issue 21, docs/EVIDENCE.md): files attached to a filing, the supplements a
-- citizen adds after submission, and the officers' upload links. The files themselves
-- are in the object store (encrypted); these rows are their metadata.
--
-- filing_supplements: one row per supplement (the citizen's text and files after
-- submission, or an upload through a link); `seen_at` is null until an officer of the
-- unit opened the filing since: the queue's "new information" marker.
CREATE TABLE filing_supplements (
    id          TEXT       PRIMARY KEY,
    filing_id   TEXT       NOT NULL REFERENCES filings (id),
    origin      TEXT       NOT NULL,
    text        TEXT,
    actor_role  TEXT       NOT NULL,
    actor_id    TEXT       NOT NULL,
    created_at  TIMESTAMP  NOT NULL,
    seen_at     TIMESTAMP
);
CREATE INDEX filing_supplements_filing_idx ON filing_supplements (filing_id, seen_at);

-- attachments: a row is inserted `incomplete` before its objects are written and marked
-- `complete` (with its hash, type and sizes) in the transaction of its audit event; the
-- cleanup job removes incomplete rows and objects without a row after a grace period.
-- `data_key` is the file's AES-256 data key sealed (persistence::sealing) with the key
-- `key_id` of the keyring.
CREATE TABLE attachments (
    id                TEXT       PRIMARY KEY,
    filing_id         TEXT       NOT NULL REFERENCES filings (id),
    supplement_id     TEXT,
    origin            TEXT       NOT NULL,
    state             TEXT       NOT NULL,
    file_name         TEXT       NOT NULL,
    media_kind        TEXT,
    size_bytes        BIGINT     NOT NULL DEFAULT 0,
    sha256            TEXT,
    stripped          BOOLEAN    NOT NULL DEFAULT FALSE,
    viewing_size      BIGINT,
    key_id            TEXT       NOT NULL,
    data_key          TEXT       NOT NULL,
    uploaded_by_role  TEXT       NOT NULL,
    uploaded_by       TEXT       NOT NULL,
    link_id           TEXT,
    created_at        TIMESTAMP  NOT NULL,
    completed_at      TIMESTAMP
);
CREATE INDEX attachments_filing_idx ON attachments (filing_id, created_at);
CREATE INDEX attachments_state_idx ON attachments (state, created_at);
CREATE INDEX attachments_key_idx ON attachments (key_id);

-- upload_links: an officer's link for a filing; only the SHA-256 of its token is kept.
CREATE TABLE upload_links (
    id          TEXT       PRIMARY KEY,
    filing_id   TEXT       NOT NULL REFERENCES filings (id),
    unit_id     TEXT       NOT NULL,
    token_hash  TEXT       NOT NULL UNIQUE,
    created_by  TEXT       NOT NULL,
    created_at  TIMESTAMP  NOT NULL,
    expires_at  TIMESTAMP  NOT NULL,
    max_uses    INTEGER    NOT NULL,
    uses        INTEGER    NOT NULL DEFAULT 0,
    revoked_at  TIMESTAMP,
    revoked_by  TEXT
);
CREATE INDEX upload_links_filing_idx ON upload_links (filing_id, created_at);

-- resumable_uploads: a tus upload in progress (docs/EVIDENCE.md): its bytes are objects
-- `uploads/<id>/<start offset>` (encrypted with the upload's own data key), `parts` the JSON
-- list of [start, length] stored, `received` the offset reached.
CREATE TABLE resumable_uploads (
    id             TEXT       PRIMARY KEY,
    filing_id      TEXT       NOT NULL REFERENCES filings (id),
    owner_id       TEXT       NOT NULL,
    file_name      TEXT       NOT NULL,
    declared_type  TEXT,
    length         BIGINT     NOT NULL,
    received       BIGINT     NOT NULL DEFAULT 0,
    parts          TEXT       NOT NULL DEFAULT '[]',
    key_id         TEXT       NOT NULL,
    data_key       TEXT       NOT NULL,
    created_at     TIMESTAMP  NOT NULL,
    expires_at     TIMESTAMP  NOT NULL
);
CREATE INDEX resumable_uploads_expiry_idx ON resumable_uploads (expires_at);
