-- The household (address record) each person lives in, and its key for
-- the cell key method, so that reach counts households per patch: a rate
-- per 1,000 households has households, not people, above the line. The
-- server fills them when it rebuilds the projections (projection::VERSION).
ALTER TABLE people ADD COLUMN household TEXT;
ALTER TABLE people ADD COLUMN household_key BIGINT;
CREATE INDEX people_households ON people (patch, household, household_key,
    conversation_at, participant_at, first_contact_at) WHERE household IS NOT NULL;
