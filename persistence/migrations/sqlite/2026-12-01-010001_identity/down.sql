DROP TABLE filing_identities;
