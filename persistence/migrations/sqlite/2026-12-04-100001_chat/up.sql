-- The chat with a police agent (issue 17, docs/CHAT.md). NOT RECORDED: no table holds
-- what was said. Messages cross instances in PostgreSQL NOTIFY payloads and live in the
-- instances' memory until the conversation closes. What is kept is metadata for
-- statistics and the Art. 25 log: start, end, wait, agent, topic, outcome.
--
-- chat_conversations: one row per conversation. `token_hash` (SHA-256 of the citizen's
-- conversation token) and `citizen_id` (an account's pseudonymous id, for the draft it
-- may accept) are needed only while it is open, and erased when it closes.
CREATE TABLE chat_conversations (
    id                 TEXT      PRIMARY KEY,
    desk_unit_id       TEXT      NOT NULL,
    country            TEXT      NOT NULL,
    topic              TEXT      NOT NULL,
    language           TEXT      NOT NULL,
    anonymous          INTEGER   NOT NULL,
    status             TEXT      NOT NULL,
    opened_at          TIMESTAMP NOT NULL,
    taken_at           TIMESTAMP,
    closed_at          TIMESTAMP,
    wait_secs          BIGINT,
    agent_id           TEXT,
    transfers          INTEGER   NOT NULL DEFAULT 0,
    outcome            TEXT,
    last_activity_at   TIMESTAMP NOT NULL,
    token_hash         TEXT,
    citizen_id         TEXT
);
CREATE INDEX chat_conversations_queue_idx ON chat_conversations (desk_unit_id, status, opened_at);
CREATE INDEX chat_conversations_agent_idx ON chat_conversations (agent_id, status);
CREATE INDEX chat_conversations_activity_idx ON chat_conversations (status, last_activity_at);

-- The desk's agents: presence and the languages they take conversations in.
CREATE TABLE chat_agents (
    agent_id      TEXT      NOT NULL,
    desk_unit_id  TEXT      NOT NULL,
    status        TEXT      NOT NULL,
    languages     TEXT      NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (agent_id, desk_unit_id)
);
