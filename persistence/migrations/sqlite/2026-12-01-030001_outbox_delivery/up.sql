-- The outbox becomes a delivery queue (issue 15): each message's state, its attempts,
-- when it is next due, the last error's code, the worker holding it (a lease), and the
-- letter batch that printed it. Rows sent before this migration stay `sent`.
ALTER TABLE outbox_messages ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead'));
ALTER TABLE outbox_messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_messages ADD COLUMN available_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
ALTER TABLE outbox_messages ADD COLUMN last_error TEXT;
ALTER TABLE outbox_messages ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox_messages ADD COLUMN claimed_at TIMESTAMP;
ALTER TABLE outbox_messages ADD COLUMN batch TEXT;
UPDATE outbox_messages SET available_at = created_at;
UPDATE outbox_messages SET status = 'sent' WHERE sent_at IS NOT NULL;
DROP INDEX outbox_messages_pending_idx;
-- Claims: the due messages of a channel, oldest first.
CREATE INDEX outbox_messages_due_idx ON outbox_messages (channel, status, available_at, id);
CREATE INDEX outbox_messages_filing_idx ON outbox_messages (filing_id, id);
CREATE INDEX outbox_messages_batch_idx ON outbox_messages (batch);
