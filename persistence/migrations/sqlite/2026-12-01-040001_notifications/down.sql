DROP TABLE notifications;
ALTER TABLE filings DROP COLUMN app_notifications;
