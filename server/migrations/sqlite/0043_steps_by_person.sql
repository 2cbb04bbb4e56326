-- Each person's steps kept in (person, step) order by the table itself
-- (WITHOUT ROWID), as champions' contacts are since migration 0034. A
-- person's step rows were written to four B-trees (the rowid table, its
-- primary key, the index by person and the funnel's index), each a page
-- at random per change; now to two. The table's own order covers what the
-- index by person held, for the reports that lead with the chosen people.
CREATE TABLE stages_by_person (
    person_id TEXT NOT NULL,
    stage BIGINT NOT NULL,
    stage_key TEXT NOT NULL,
    reached_at BIGINT NOT NULL,
    days_from_previous BIGINT,
    first_contact_at BIGINT,
    highest_stage BIGINT,
    PRIMARY KEY (person_id, stage)
) WITHOUT ROWID;
INSERT INTO stages_by_person (person_id, stage, stage_key, reached_at, days_from_previous,
    first_contact_at, highest_stage)
    SELECT person_id, stage, stage_key, reached_at, days_from_previous, first_contact_at,
    highest_stage FROM stages;
DROP TABLE stages;
ALTER TABLE stages_by_person RENAME TO stages;
CREATE INDEX stages_days
    ON stages (stage, days_from_previous, first_contact_at, highest_stage);
