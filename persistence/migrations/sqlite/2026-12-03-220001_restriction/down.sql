DROP TABLE filing_restrictions;
