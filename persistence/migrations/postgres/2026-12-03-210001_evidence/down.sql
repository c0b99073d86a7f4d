DROP TABLE resumable_uploads;
DROP TABLE upload_links;
DROP TABLE attachments;
DROP TABLE filing_supplements;
