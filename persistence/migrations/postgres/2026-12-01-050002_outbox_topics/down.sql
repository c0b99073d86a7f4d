DROP INDEX outbox_messages_topic_idx;
ALTER TABLE outbox_messages DROP COLUMN topic;
