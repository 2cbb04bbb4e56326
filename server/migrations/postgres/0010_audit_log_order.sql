-- Entries in the order they were written: several share a millisecond, and
-- a log must say which came first.
ALTER TABLE audit_log ADD COLUMN id BIGSERIAL PRIMARY KEY;
