DROP TABLE unit_members;
