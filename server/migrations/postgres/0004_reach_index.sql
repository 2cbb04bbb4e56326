-- Reach and fairness in one pass: every breakdown column in group order,
-- with the filter columns, so the report reads this index alone.
CREATE INDEX people_reach ON people (patch, age_band, tenure, language, ethnicity,
    entry_channel, first_contact_at, conversation_at, participant_at);

-- Progression routes in one pass, in group order.
CREATE INDEX people_routes ON people (entry_channel, highest_stage, first_contact_at);
