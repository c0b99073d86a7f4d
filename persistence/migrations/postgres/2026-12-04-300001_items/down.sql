DROP TABLE item_match_notices;
DROP TABLE item_backfills;
DROP TABLE item_checks;
DROP TABLE item_fingerprints;
DROP TABLE item_identifiers;
DROP TABLE items;
