-- What the partnership reports read, kept with each person's rows so that a
-- report scans one table and a small index instead of every interaction.
-- The values are derived from the documents: the server rebuilds the
-- projections after this migration (see projection::VERSION).

-- When the person first had a conversation / first took part.
ALTER TABLE people ADD COLUMN conversation_at BIGINT;
ALTER TABLE people ADD COLUMN participant_at BIGINT;
-- How many things the person did: attendances, volunteering, memberships, roles.
ALTER TABLE people ADD COLUMN activity BIGINT NOT NULL DEFAULT 0;

-- Whole days since the previous stage, when the previous stage was reached.
ALTER TABLE stages ADD COLUMN days_from_previous BIGINT;
CREATE INDEX stages_days ON stages (stage, days_from_previous);

-- The person's patch, and whether an attendance was their first.
ALTER TABLE interactions ADD COLUMN patch TEXT;
ALTER TABLE interactions ADD COLUMN first_attendance BIGINT;
CREATE INDEX interactions_attendance ON interactions (event_id, first_attendance, person_id)
    WHERE kind = 'attendance';
CREATE INDEX interactions_open_follow_ups ON interactions (recorded_by, patch, follow_up_due)
    WHERE follow_up_owed = 1 AND follow_up_done_at IS NULL;

-- Per person and champion: doors knocked and conversations held.
CREATE TABLE champion_contacts (
    person_id TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    patch TEXT NOT NULL,
    knocks BIGINT NOT NULL,
    conversations BIGINT NOT NULL,
    PRIMARY KEY (person_id, recorded_by)
);
CREATE INDEX champion_contacts_by_champion
    ON champion_contacts (recorded_by, patch, knocks, conversations);

CREATE INDEX people_first_contact ON people (first_contact_at);
CREATE INDEX roles_kind ON roles (kind, name);
