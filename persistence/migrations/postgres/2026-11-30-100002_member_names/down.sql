ALTER TABLE unit_members DROP COLUMN name;
