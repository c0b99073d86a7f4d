-- The public check's look-up (persistence::items::reported), as diesel sends it, for a
-- random item's serial.
\set n random(0, :items - 1)
SELECT items.category, filings.submitted_at
FROM item_identifiers
INNER JOIN items ON items.filing_id = item_identifiers.filing_id AND items.position = item_identifiers.item_position
INNER JOIN filings ON filings.id = item_identifiers.filing_id
WHERE item_identifiers.normalised = 'SN' || lpad(:n::text, 9, '0')
  AND item_identifiers.kind IN ('imei', 'frame_number', 'serial_number', 'engraving_code')
  AND items.role = 'stolen' AND items.recovered_at IS NULL
  AND filings.status IN ('submitted', 'transferred', 'taken_in_charge', 'info_requested', 'registered', 'redirected', 'closed')
  AND filings.erased_at IS NULL;
