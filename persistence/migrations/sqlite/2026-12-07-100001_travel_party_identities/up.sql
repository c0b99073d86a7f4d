-- Issue 19: the parties' identities, as their identity providers vouched for them at
-- level high: the requester's when they make the request, the second holder's when they
-- take the invitation. The reviewing officer sees them (and whether the second holder's
-- name is the one the requester gave); the consent is bound to a person, not to whoever
-- took the link. Sealed with the keyring (persistence::sealing), for the context
-- `travel_identity:<request>:<party>`; erased with the request by the retention job.
CREATE TABLE travel_identities (
    request_id  TEXT      NOT NULL REFERENCES travel_requests (id),
    -- `requester` or `second_holder`.
    party       TEXT      NOT NULL,
    -- The level of assurance of the sign-in (`high`).
    assurance   TEXT      NOT NULL,
    sealed      TEXT      NOT NULL,
    captured_at TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, party)
);
