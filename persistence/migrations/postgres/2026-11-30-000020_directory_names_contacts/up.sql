-- Municipalities: the official language(s) of their region (for names in languages
-- they have no name in) and, for a municipality served by several units by part
-- (Barcelona's district ABPs), the municipality a part belongs to.
ALTER TABLE directory_municipalities ADD COLUMN languages TEXT NOT NULL DEFAULT '';
ALTER TABLE directory_municipalities ADD COLUMN part_of TEXT;

-- Older names under which citizens look for a municipality (merged municipalities,
-- postal localities), per dataset.
CREATE TABLE directory_former_names (
    id              BIGSERIAL PRIMARY KEY,
    dataset         TEXT NOT NULL,
    name            TEXT NOT NULL,
    municipality_id TEXT NOT NULL,
    since           DATE,
    kind            TEXT NOT NULL
);
CREATE INDEX directory_former_names_dataset_idx ON directory_former_names (dataset);

-- A unit's contact data as corrected by its supervisor (JSON, every value with its
-- date and source). It survives re-imports of the dataset; a value of the dataset that
-- is newer than the correction wins.
CREATE TABLE directory_contact_corrections (
    unit_id      TEXT      PRIMARY KEY,
    contact      TEXT      NOT NULL,
    corrected_by TEXT      NOT NULL,
    corrected_at TIMESTAMP NOT NULL
);
