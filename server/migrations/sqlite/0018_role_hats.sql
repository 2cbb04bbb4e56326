-- The other hats worn in a seat or an office (councillor, paid-worker,
-- agency-representative, other), comma-separated; empty for none and for
-- working-group memberships.
ALTER TABLE roles ADD COLUMN hats TEXT NOT NULL DEFAULT '';
