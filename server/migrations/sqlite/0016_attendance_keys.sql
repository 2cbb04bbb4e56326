-- The attendee's record key on each interaction, so that the keys of an
-- event's attendees (for viewers' adjusted figures, see PRIVACY.md) are
-- read from the attendance index alone rather than from every attendee's
-- people row. Filled when the projections are rebuilt.
ALTER TABLE interactions ADD COLUMN record_key BIGINT NOT NULL DEFAULT 0;
DROP INDEX interactions_attendance;
CREATE INDEX interactions_attendance ON interactions (event_id, first_attendance, record_key)
    WHERE kind = 'attendance' AND first_attendance IS NOT NULL;
