-- Back office: who handles a filing, the information asked of the citizen and the answer.
ALTER TABLE filings ADD COLUMN assigned_officer TEXT;
ALTER TABLE filings ADD COLUMN info_request TEXT;
ALTER TABLE filings ADD COLUMN info_answer TEXT;
