DELETE FROM outbox_messages WHERE filing_id NOT IN (SELECT id FROM filings);
ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_filing_id_fkey
    FOREIGN KEY (filing_id) REFERENCES filings (id);
DROP TABLE travel_documents;
DROP TABLE travel_invitations;
DROP TABLE travel_requests;
