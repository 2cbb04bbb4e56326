-- Dashboard sign-ins. The browser holds a random secret in a cookie; only
-- its hash is kept here. A session acts as its device: revoking the device
-- ends its sessions at once. `csrf` is echoed by every form the dashboard
-- serves and checked on every form it receives.
CREATE TABLE web_sessions (
    secret_hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
