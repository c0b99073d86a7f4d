DROP TABLE record_sequences;
