-- Restriction of the right of access (issue 22, Directive 2016/680 Art. 15(1);
-- docs/ACCESS.md): an officer of the unit withholds a filing from its author's export
-- where access would obstruct an inquiry, with a reason and a review date. The export
-- then says that some data is withheld, not which. Who and when are in the audit trail.
CREATE TABLE filing_access_restrictions (
    filing_id TEXT PRIMARY KEY REFERENCES filings (id),
    restricted_at TIMESTAMP NOT NULL,
    restricted_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    review_on TIMESTAMP NOT NULL
);
