-- The citizen's in-app notification feed (domain::notices::feed): one row per status
-- change that notifies the citizen, written in the transaction of the change. `seq`
-- orders one citizen's feed in commit order (taken under a lock on the citizen, see
-- persistence::notifications); it is the feed's cursor and the stream's event id. The
-- payload holds codes and numbers only, never the facts.
CREATE TABLE notifications (
    id         TEXT      PRIMARY KEY,
    owner_id   TEXT      NOT NULL,
    seq        BIGINT    NOT NULL,
    filing_id  TEXT      NOT NULL REFERENCES filings (id),
    event      TEXT      NOT NULL,
    payload    TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP,
    UNIQUE (owner_id, seq)
);
CREATE INDEX notifications_unread_idx ON notifications (owner_id, read_at, seq);

-- The citizen's choice to receive a filing's notifications in the app.
ALTER TABLE filings ADD COLUMN app_notifications BOOLEAN NOT NULL DEFAULT 1;
