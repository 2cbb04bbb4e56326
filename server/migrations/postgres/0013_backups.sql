-- Each good backup: when it was taken, where it went and how big it is,
-- so the dashboard and /metrics can say how old the last one is.
CREATE TABLE backups (
    taken_at BIGINT NOT NULL,
    file TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    encrypted BIGINT NOT NULL
);
CREATE INDEX backups_taken ON backups (taken_at);
