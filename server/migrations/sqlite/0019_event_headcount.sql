-- An event's unnamed headcount (people counted there without a record of
-- each; NULL: not counted) and whether it was cancelled, for the events
-- report. Filled when the projections are rebuilt (version 9).
ALTER TABLE events ADD COLUMN cancelled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN headcount BIGINT;
-- The ladder's stages a person held by their own evidence, not only
-- implied by a higher stage (bit i for stage i), for the funnel's
-- "through" beside "reached".
ALTER TABLE people ADD COLUMN held_stages BIGINT NOT NULL DEFAULT 0;
