-- Every round of questions and answers between the unit and the citizen, oldest first
-- (filings.info_request and filings.info_answer keep only the last round).
CREATE TABLE filing_exchanges (
    id          BIGSERIAL PRIMARY KEY,
    filing_id   TEXT      NOT NULL REFERENCES filings (id),
    asked_at    TIMESTAMP NOT NULL,
    asked_by    TEXT      NOT NULL,
    question    TEXT      NOT NULL,
    answered_at TIMESTAMP,
    answer      TEXT
);
CREATE INDEX filing_exchanges_filing_idx ON filing_exchanges (filing_id, id);
-- The round filings hold already: asked when the status last became info_requested.
INSERT INTO filing_exchanges (filing_id, asked_at, asked_by, question, answered_at, answer)
SELECT f.id,
       COALESCE((SELECT MAX(h.occurred_at) FROM filing_history h
                 WHERE h.filing_id = f.id AND h.action = 'request_info'), f.updated_at),
       COALESCE((SELECT h.actor_id FROM filing_history h
                 WHERE h.filing_id = f.id AND h.action = 'request_info'
                 ORDER BY h.id DESC LIMIT 1), ''),
       f.info_request,
       CASE WHEN f.info_answer IS NULL THEN NULL ELSE
           COALESCE((SELECT MAX(h.occurred_at) FROM filing_history h
                     WHERE h.filing_id = f.id AND h.action = 'answer_info_request'), f.updated_at)
       END,
       f.info_answer
FROM filings f
WHERE f.info_request IS NOT NULL;
