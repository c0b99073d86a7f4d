-- PostgreSQL makes the rate limits' counters unlogged (no WAL); SQLite has no such
-- table kind. The same version in both folders, as every migration.
SELECT 1;
