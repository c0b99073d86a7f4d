DROP TABLE filing_exchanges;
