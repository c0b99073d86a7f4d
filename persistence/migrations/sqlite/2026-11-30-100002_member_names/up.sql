-- The name the police identity provider gives each officer, so that colleagues are
-- listed by name in the unit's roster (assignment).
ALTER TABLE unit_members ADD COLUMN name TEXT;
