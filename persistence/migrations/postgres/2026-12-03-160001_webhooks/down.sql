DROP TABLE rate_counters;
DROP TABLE webhook_attempts;
DROP INDEX outbox_messages_endpoint_idx;
ALTER TABLE outbox_messages DROP COLUMN endpoint_id;
DROP TABLE webhook_endpoints;
