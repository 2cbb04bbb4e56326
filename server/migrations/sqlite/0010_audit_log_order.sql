-- Entries in the order they were written: several share a millisecond, and
-- a log must say which came first. Rows keep their order (rowid).
CREATE TABLE audit_log_ordered (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    record_id TEXT,
    detail TEXT NOT NULL
);
INSERT INTO audit_log_ordered (at, actor, action, record_id, detail)
    SELECT at, actor, action, record_id, detail FROM audit_log ORDER BY rowid;
DROP TABLE audit_log;
ALTER TABLE audit_log_ordered RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log (at);
