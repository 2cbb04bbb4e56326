-- Whether the attendee held a role (a seat, an office or a working-group
-- membership, begun by then and not ended) when they attended: worked out
-- once when the attendance row is written, so the events report does not
-- ask the roles table for every attendance. NULL on other interactions.
-- Filled when the projections are rebuilt (projection::VERSION).
ALTER TABLE interactions ADD COLUMN holding_role BIGINT;
DROP INDEX interactions_attendance;
CREATE INDEX interactions_attendance
    ON interactions (event_id, first_attendance, holding_role, record_key)
    WHERE kind = 'attendance' AND first_attendance IS NOT NULL;
