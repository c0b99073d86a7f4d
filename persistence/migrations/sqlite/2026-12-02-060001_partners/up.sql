-- Partners (issue 16): the portals and zone websites that act for citizens. A partner's
-- webhook signing secret is sealed with the sealing keys (like the complainants'
-- identities); after a rotation the previous one keeps signing until
-- `previous_secret_until`. Lists (origins, scopes) are JSON arrays.
CREATE TABLE partners (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    origins               TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    quota_per_minute      BIGINT NOT NULL,
    secret                TEXT NOT NULL,
    secret_rotated_at     TIMESTAMP NOT NULL,
    previous_secret       TEXT,
    previous_secret_until TIMESTAMP,
    disabled_at           TIMESTAMP,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);

-- The OAuth client ids of a partner's tokens (`azp` / `client_id`): one partner each.
CREATE TABLE partner_clients (
    client_id  TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id)
);
CREATE INDEX partner_clients_partner_idx ON partner_clients (partner_id);
