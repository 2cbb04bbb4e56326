-- Each person's record key for the cell key method that adjusts the
-- figures viewers see (PRIVACY.md): a fixed number derived from the
-- record's id, never shown. The server fills it when it rebuilds the
-- projections after this migration (see projection::VERSION). The report
-- indexes carry it so that sums of keys are read from them alone.
ALTER TABLE people ADD COLUMN record_key BIGINT NOT NULL DEFAULT 0;

DROP INDEX people_reach;
CREATE INDEX people_reach ON people (patch, age_band, tenure, language, ethnicity,
    entry_channel, first_contact_at, conversation_at, participant_at, activity, id, record_key);
DROP INDEX people_first_contact;
CREATE INDEX people_first_contact ON people (first_contact_at, id, record_key);
DROP INDEX people_routes;
CREATE INDEX people_routes ON people (entry_channel, highest_stage, first_contact_at,
    patch, age_band, record_key);
DROP INDEX people_activity;
CREATE INDEX people_activity ON people (activity, first_contact_at, record_key) WHERE activity > 0;
