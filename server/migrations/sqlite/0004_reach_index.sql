-- Reach and fairness in one pass: every breakdown column in group order,
-- with the filter columns, so the report reads this index alone.
CREATE INDEX people_reach ON people (patch, age_band, tenure, language, ethnicity,
    entry_channel, first_contact_at, conversation_at, participant_at);
