-- The person's first contact and highest step, on their rows that reports
-- join to them (stages, attendances and follow-ups, champions' contacts;
-- roles already carry the first contact), as those rows carry the
-- person's patch and record key. A report chosen by dates or a step alone
-- (a year, or the drill-down from the funnel's bars) then reads these
-- tables' own indexes, as it does unfiltered: looking up each of the half
-- million people chosen took 1 to 11 s per report at a million people.
-- Each row takes the values the person's row holds, as the projection
-- writes them from now on; a person's rows are rewritten when either
-- changes. Other interactions carry neither: no report reads them so, and
-- they would be rewritten at every change of step.
ALTER TABLE stages ADD COLUMN first_contact_at BIGINT;
ALTER TABLE stages ADD COLUMN highest_stage BIGINT;
ALTER TABLE interactions ADD COLUMN first_contact_at BIGINT;
ALTER TABLE interactions ADD COLUMN highest_stage BIGINT;
ALTER TABLE champion_contacts ADD COLUMN first_contact_at BIGINT;
ALTER TABLE champion_contacts ADD COLUMN highest_stage BIGINT;
ALTER TABLE roles ADD COLUMN highest_stage BIGINT;
UPDATE stages SET (first_contact_at, highest_stage) = (SELECT p.first_contact_at, p.highest_stage FROM people p WHERE p.id = stages.person_id);
UPDATE interactions SET (first_contact_at, highest_stage) = (SELECT p.first_contact_at, p.highest_stage FROM people p WHERE p.id = interactions.person_id)
    WHERE kind = 'attendance' OR follow_up_owed = 1;
UPDATE champion_contacts SET (first_contact_at, highest_stage) = (SELECT p.first_contact_at, p.highest_stage FROM people p WHERE p.id = champion_contacts.person_id);
UPDATE roles SET highest_stage = (SELECT p.highest_stage FROM people p WHERE p.id = roles.person_id);
DROP INDEX stages_days;
CREATE INDEX stages_days
    ON stages (stage, days_from_previous, first_contact_at, highest_stage);
DROP INDEX interactions_attendance;
CREATE INDEX interactions_attendance
    ON interactions (event_id, first_attendance, holding_role, record_key,
    first_contact_at, highest_stage)
    WHERE kind = 'attendance' AND first_attendance IS NOT NULL;
DROP INDEX champion_contacts_by_champion;
CREATE INDEX champion_contacts_by_champion
    ON champion_contacts (recorded_by, patch, knocks, conversations,
    first_contact_at, highest_stage);
-- Civic core's count of what people did, chosen by a step, from this
-- index alone.
DROP INDEX people_held_stages;
CREATE INDEX people_held_stages
    ON people (highest_stage, held_stages, first_contact_at, record_key, activity);
