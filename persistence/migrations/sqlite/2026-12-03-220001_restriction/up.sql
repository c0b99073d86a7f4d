-- Restriction instead of erasure (issue 22, Directive 2016/680 Art. 16(3); docs/ACCESS.md):
-- an officer of the unit marks a filing needed as evidence, with a reason and a review
-- date. The retention job keeps it; the unit's queue and processing leave it aside until
-- the restriction is lifted (the row deleted). Who and when are in the audit trail too.
CREATE TABLE filing_restrictions (
    filing_id TEXT PRIMARY KEY REFERENCES filings (id),
    restricted_at TIMESTAMP NOT NULL,
    restricted_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    review_on TIMESTAMP NOT NULL
);
