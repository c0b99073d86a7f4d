-- The rate limits' counters (issue 16) are written on every counted request, the public
-- check of a document's credential included (issue 19, target p99 <= 5 ms). They need no
-- durability: after a crash, a fresh window is harmless. Unlogged, a hit writes no WAL
-- and waits for no flush at commit. (Not replicated to standbys either: after a
-- failover the counters start again, which is as harmless.)
ALTER TABLE rate_counters SET UNLOGGED;
