-- A message's topic (issue 18): of the pending messages of one topic, only the latest
-- stands. An appointment's reminder is queued under `appointment:<id>:reminder`, so a
-- reschedule replaces it and a cancellation withdraws it before it is due.
ALTER TABLE outbox_messages ADD COLUMN topic TEXT;
CREATE INDEX outbox_messages_topic_idx ON outbox_messages (topic, status);
