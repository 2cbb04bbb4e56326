-- Documents, change feed, erased ids, devices and projections.
-- Timestamps are milliseconds since the Unix epoch; ids are UUID text.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row: the last feed sequence number. Taking it with an UPDATE inside
-- the merging transaction serialises feed appends in commit order, so a
-- device reading the feed never skips a change committed late.
CREATE TABLE feed_counter (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO feed_counter (id, seq) VALUES (1, 0);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    patch TEXT,
    devices TEXT NOT NULL,
    bytes BLOB NOT NULL,
    version BIGINT NOT NULL,
    created_seq BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- changes IS NULL marks an erasure.
CREATE TABLE feed (
    seq BIGINT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    changes BLOB
);
CREATE INDEX feed_doc ON feed (doc_id);

CREATE TABLE erased (
    id TEXT PRIMARY KEY,
    erased_at BIGINT NOT NULL
);

CREATE TABLE invites (
    code_hash TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    patches TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    device_id TEXT
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    patches TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_seen_at BIGINT
);

-- Projections: no names or contact details, only what reports need.
CREATE TABLE people (
    id TEXT PRIMARY KEY,
    area TEXT NOT NULL,
    patch TEXT NOT NULL,
    entry_channel TEXT NOT NULL,
    age_band TEXT,
    tenure TEXT,
    language TEXT,
    ethnicity TEXT,
    residency TEXT NOT NULL,
    do_not_contact BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    first_contact_at BIGINT,
    highest_stage BIGINT
);
CREATE INDEX people_patch ON people (patch);

CREATE TABLE interactions (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    outcome TEXT,
    event_id TEXT,
    follow_up_owed BIGINT NOT NULL,
    follow_up_due BIGINT,
    follow_up_done_at BIGINT
);
CREATE INDEX interactions_person ON interactions (person_id);
CREATE INDEX interactions_event ON interactions (event_id);

CREATE TABLE stages (
    person_id TEXT NOT NULL,
    stage BIGINT NOT NULL,
    stage_key TEXT NOT NULL,
    reached_at BIGINT NOT NULL,
    PRIMARY KEY (person_id, stage)
);

CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT
);
CREATE INDEX roles_person ON roles (person_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    area TEXT NOT NULL,
    patch TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    place TEXT,
    created_by TEXT NOT NULL
);

CREATE TABLE areas (
    id TEXT PRIMARY KEY,
    area TEXT NOT NULL,
    name TEXT NOT NULL,
    threshold_percent BIGINT NOT NULL
);

CREATE TABLE patches (
    area_id TEXT NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    households BIGINT NOT NULL,
    PRIMARY KEY (area_id, slug)
);
