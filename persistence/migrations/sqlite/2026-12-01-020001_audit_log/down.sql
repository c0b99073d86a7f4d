DROP TABLE audit_checkpoints;
DROP TABLE audit_nodes;
DROP TABLE audit_log;
DROP TABLE audit_pending;
ALTER TABLE audit_events DROP COLUMN action;
