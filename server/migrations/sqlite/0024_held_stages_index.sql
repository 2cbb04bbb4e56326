-- The funnel's people by (highest stage, stages held), with what its
-- filters and viewers' adjustment read, from an index alone: without it
-- the funnel read every people row (670 ms at 1,000,000 people; the
-- query alone 1.6 s cold, 0.1 s with this index).
CREATE INDEX people_held_stages ON people (highest_stage, held_stages, first_contact_at, record_key);
