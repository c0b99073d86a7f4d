-- Linking (persistence::items::shared_with): a random filing's identifiers, then the
-- other filings holding each.
\set n random(1, :filings)
SELECT i2.filing_id, i2.kind, f.unit_id, f.reference, f.procedure_code, f.status, f.submitted_at
FROM item_identifiers i1
JOIN item_identifiers i2 ON i2.normalised = i1.normalised AND i2.filing_id <> i1.filing_id
JOIN filings f ON f.id = i2.filing_id
WHERE i1.filing_id = 'seed-' || lpad(:n::text, 8, '0')
  AND f.erased_at IS NULL AND f.submitted_at IS NOT NULL;
