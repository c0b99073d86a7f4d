-- The audit log (issue 14). Events are appended unsealed in the request's own
-- transaction and queued in audit_pending; one sealer (the holder of an advisory lock)
-- gives them their position in a Merkle log shaped as RFC 9162's, in batches, and signs a
-- checkpoint (size, root, time) per batch with a key held outside the database.
ALTER TABLE audit_events ADD COLUMN action TEXT NOT NULL DEFAULT '';

-- Committed events not sealed yet. The sealer reads what is visible, so an event whose
-- transaction commits late is sealed in a later batch, and a rolled-back one never shows.
CREATE TABLE audit_pending (
    event_id    BIGINT    PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL
);

-- The leaves: log_index: the position in the log (0-based), the event, SHA-256(0x00 || entry) in hex.
CREATE TABLE audit_log (
    log_index BIGINT PRIMARY KEY,
    event_id  BIGINT NOT NULL UNIQUE,
    leaf_hash TEXT   NOT NULL
);

-- Every complete (perfect) subtree of level >= 1: covers leaves
-- [idx * 2^level, (idx + 1) * 2^level). Proofs read O(log n) of them.
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   BIGINT  NOT NULL,
    hash  TEXT    NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Signed tree heads, also written to the witness outside the database.
CREATE TABLE audit_checkpoints (
    tree_size BIGINT    PRIMARY KEY,
    root_hash TEXT      NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    key_id    TEXT      NOT NULL,
    signature TEXT      NOT NULL
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_nodes_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_nodes
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_nodes_no_truncate BEFORE TRUNCATE ON audit_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The events of the hash chain (2026-11-22-000006) are carried into the log in id
-- order: the sealer seals them first. Their chain stays and is still checked.
INSERT INTO audit_pending (event_id, occurred_at)
    SELECT id, occurred_at FROM audit_events ORDER BY id;
