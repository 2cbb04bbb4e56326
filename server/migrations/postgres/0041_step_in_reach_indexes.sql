-- The step each person reached, in the indexes Reach reads, so that Reach
-- filtered by a step reached (a drill-down from the funnel) reads them
-- alone: without it SQLite looked up every person's row to test the step,
-- 2.4 s at a million people against 0.16 s. The entries are rewritten
-- when the step changes, as they already are when the person is next met.
DROP INDEX people_reach;
CREATE INDEX people_reach ON people (patch, age_band, tenure, language, ethnicity,
    entry_channel, first_contact_at, conversation_at, participant_at, activity,
    highest_stage, id, record_key);
DROP INDEX people_households;
CREATE INDEX people_households ON people (patch, household, household_key,
    conversation_at, participant_at, first_contact_at, highest_stage)
    WHERE household IS NOT NULL;
