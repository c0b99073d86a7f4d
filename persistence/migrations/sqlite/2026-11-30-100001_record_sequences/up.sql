-- Each unit's record-number sequence, per year: the next registration's number is taken
-- here atomically (an upsert), so that concurrent registrations never share one.
CREATE TABLE record_sequences (
    unit_id    TEXT   NOT NULL,
    year       INTEGER NOT NULL,
    last_value BIGINT NOT NULL,
    PRIMARY KEY (unit_id, year)
);
