-- The trends report counts people per (UTC day, patch) by the day they
-- first reached a step: first contact, the Conversation step, the
-- Participant step. Each index leads with that day, in the query's own
-- words (`column / 86400000`), so the database reads a year of people in
-- the order it groups them (SQLite sorted the half a million of a year at
-- 1,000,000 people first: 0.4 s for first contacts alone), and holds what
-- the queries read: the patch, the record key (viewers' adjusted counts)
-- and, for first contacts, the highest step reached (the cohorts).
CREATE INDEX people_trend_contacts
    ON people ((first_contact_at / 86400000), patch, highest_stage, record_key)
    WHERE first_contact_at IS NOT NULL;
CREATE INDEX people_trend_conversations
    ON people ((conversation_at / 86400000), patch, record_key)
    WHERE conversation_at IS NOT NULL;
CREATE INDEX people_trend_participants
    ON people ((participant_at / 86400000), patch, record_key)
    WHERE participant_at IS NOT NULL;
