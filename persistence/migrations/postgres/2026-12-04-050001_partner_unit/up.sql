-- A zone's website names the unit of its zone (issue 16): a filing made there about
-- another unit's area is routed there, and the citizen is told so.
ALTER TABLE partners ADD COLUMN unit_id TEXT;
