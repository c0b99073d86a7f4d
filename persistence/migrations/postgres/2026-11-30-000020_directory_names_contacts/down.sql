DROP TABLE directory_contact_corrections;
DROP TABLE directory_former_names;
ALTER TABLE directory_municipalities DROP COLUMN part_of;
ALTER TABLE directory_municipalities DROP COLUMN languages;
