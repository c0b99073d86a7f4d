DROP TABLE audit_checkpoints;
DROP TABLE audit_nodes;
DROP TABLE audit_log;
DROP TABLE audit_pending;
DROP FUNCTION audit_log_append_only();
ALTER TABLE audit_events DROP COLUMN action;
