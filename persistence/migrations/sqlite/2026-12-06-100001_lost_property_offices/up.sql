-- Issue 20: a municipality's lost-property office is a partner (kind
-- `lost_property_office`) that names its municipality. A table of its own, without a
-- foreign key to `partners`: this version sorts before the partners' migration, so on a
-- fresh database it runs first (the registration writes both rows in one transaction).
CREATE TABLE lost_property_offices (
    partner_id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL
);
