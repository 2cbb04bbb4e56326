-- Who (which device, or the server's own tasks) viewed, exported or erased
-- personal data, and when. Holds ids, never personal data itself.
CREATE TABLE audit_log (
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    record_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
