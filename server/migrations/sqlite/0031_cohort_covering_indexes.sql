-- A report filtered to a cohort (people first contacted in one month)
-- finds them by first contact, then their attendances. Both indexes now
-- hold what those reports read, so neither reads table rows: the
-- activity a person has (civic core), and each attendance's record key
-- (viewers' adjusted counts). At 1,000,000 people the cohort's civic
-- core queries took 0.33 s, 0.13 s with these.
DROP INDEX people_first_contact;
CREATE INDEX people_first_contact ON people (first_contact_at, id, record_key, activity);
DROP INDEX interactions_attendance_by_person;
CREATE INDEX interactions_attendance_by_person
    ON interactions (person_id, event_id, first_attendance, record_key)
    WHERE kind = 'attendance' AND first_attendance IS NOT NULL;
