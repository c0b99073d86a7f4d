-- The outbox keeps no reference to filings (rebuilding it back is not worth the risk).
DROP TABLE travel_documents;
DROP TABLE travel_invitations;
DROP TABLE travel_requests;
