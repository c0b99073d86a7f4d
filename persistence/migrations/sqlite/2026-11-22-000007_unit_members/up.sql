-- The officers known to each unit: recorded when an officer with a membership of the unit
-- uses the back office (memberships come from the police identity provider's tokens).
-- A filing can be assigned to a colleague only if they are known here.
CREATE TABLE unit_members (
    unit_id      TEXT      NOT NULL,
    officer_id   TEXT      NOT NULL,
    role         TEXT      NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (unit_id, officer_id)
);
