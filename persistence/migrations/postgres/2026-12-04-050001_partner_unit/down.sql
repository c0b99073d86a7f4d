ALTER TABLE partners DROP COLUMN unit_id;
