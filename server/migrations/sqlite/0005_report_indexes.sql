-- Indexes that keep every report under half a second at a million people
-- (BENCHMARKS.md). Filtered reports start from the chosen people, then read
-- each person's rows from an index that holds everything the report needs,
-- so no table row is read on either side.

-- The area is read on every merge, and the projection rebuild pages
-- through the people: neither scans every document any more.
CREATE INDEX documents_kind ON documents (kind, id);

-- Choosing people by patch, channel, age band or first contact yields
-- their ids from the index alone.
DROP INDEX people_reach;
CREATE INDEX people_reach ON people (patch, age_band, tenure, language, ethnicity,
    entry_channel, first_contact_at, conversation_at, participant_at, activity, id);
DROP INDEX people_first_contact;
CREATE INDEX people_first_contact ON people (first_contact_at, id);
DROP INDEX people_routes;
CREATE INDEX people_routes ON people (entry_channel, highest_stage, first_contact_at,
    patch, age_band);
CREATE INDEX people_activity ON people (activity, first_contact_at) WHERE activity > 0;

-- Per person, covering.
CREATE INDEX stages_person ON stages (person_id, stage, days_from_previous);
CREATE INDEX champion_contacts_person
    ON champion_contacts (person_id, recorded_by, patch, knocks, conversations);
DROP INDEX interactions_open_follow_ups;
CREATE INDEX interactions_open_follow_ups
    ON interactions (person_id, recorded_by, patch, follow_up_due)
    WHERE follow_up_owed = 1 AND follow_up_done_at IS NULL;

-- interactions.first_attendance, for attendances: 1 on the person's first
-- attendance at anything, 0 on their first at each later event, NULL on a
-- repeat at an event they already attended (recorded twice). Attendees per
-- event are then counted without DISTINCT. Projection version 3 rewrites it.
DROP INDEX interactions_attendance;
CREATE INDEX interactions_attendance ON interactions (event_id, first_attendance)
    WHERE kind = 'attendance' AND first_attendance IS NOT NULL;
CREATE INDEX interactions_attendance_by_person
    ON interactions (person_id, event_id, first_attendance)
    WHERE kind = 'attendance' AND first_attendance IS NOT NULL;
