-- The front door a filing was made through (issue 16): NULL for the police app, else
-- the id of the partner that acted for the citizen.
ALTER TABLE filings ADD COLUMN channel TEXT;
CREATE INDEX filings_owner_channel_idx ON filings (owner_id, channel);
