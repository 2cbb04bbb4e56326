-- People merged into another record. The merged-away id is a tombstone that
-- leads to the survivor: a push to it has its changes moved to the survivor,
-- and devices holding it are told to follow. `heads` are the merged-away
-- document's heads when it was merged (32-byte change hashes, one after
-- another), so a late push's changes can be told from what was merged;
-- `patch` and `devices` its audience then (who may still write to it). No
-- personal data is kept here.
CREATE TABLE redirects (
    id TEXT PRIMARY KEY,
    survivor TEXT NOT NULL,
    heads BLOB NOT NULL,
    patch TEXT,
    devices TEXT NOT NULL,
    merged_at BIGINT NOT NULL
);
CREATE INDEX redirects_survivor ON redirects (survivor);

-- Doors, for household reach reports and for skipping doors already
-- imported. `door_key` is the SHA-256 of the normalised address, never the
-- address itself.
CREATE TABLE addresses (
    id TEXT PRIMARY KEY,
    patch TEXT NOT NULL,
    door_key TEXT NOT NULL,
    do_not_knock BIGINT NOT NULL
);
CREATE INDEX addresses_door_key ON addresses (door_key);
CREATE INDEX addresses_patch ON addresses (patch, id);

-- Every knock at a door.
CREATE TABLE door_visits (
    id TEXT PRIMARY KEY,
    address_id TEXT NOT NULL,
    patch TEXT NOT NULL,
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX door_visits_address ON door_visits (address_id);
CREATE INDEX door_visits_patch ON door_visits (patch, at, outcome, address_id);
