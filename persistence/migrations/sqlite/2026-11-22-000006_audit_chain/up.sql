-- Tamper evidence: each audit event carries the hash of the previous one and its own
-- (SHA-256 over the previous hash and its fields); `ecommissariat audit verify` checks it.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
