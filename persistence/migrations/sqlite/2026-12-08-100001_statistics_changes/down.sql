ALTER TABLE statistics_state DROP COLUMN changes_from;
DROP TABLE statistics_changes;
