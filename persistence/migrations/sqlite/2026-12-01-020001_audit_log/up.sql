-- The audit log (issue 14); see the PostgreSQL migration of the same version.
ALTER TABLE audit_events ADD COLUMN action TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_pending (
    event_id    INTEGER   PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    log_index INTEGER PRIMARY KEY,
    event_id  INTEGER NOT NULL UNIQUE,
    leaf_hash TEXT    NOT NULL
);

CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  TEXT    NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE audit_checkpoints (
    tree_size INTEGER   PRIMARY KEY,
    root_hash TEXT      NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    key_id    TEXT      NOT NULL,
    signature TEXT      NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
CREATE TRIGGER audit_nodes_no_update BEFORE UPDATE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'audit_nodes is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_nodes_no_delete BEFORE DELETE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'audit_nodes is append-only: DELETE refused'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused'); END;

INSERT INTO audit_pending (event_id, occurred_at)
    SELECT id, occurred_at FROM audit_events ORDER BY id;
