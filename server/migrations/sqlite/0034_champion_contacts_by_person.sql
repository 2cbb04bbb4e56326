-- Per person and champion, kept in (person, champion) order by the table
-- itself (WITHOUT ROWID): a revisit's counts are then written to one
-- B-tree and the champions' index, where a rowid table also had a primary
-- key index and a covering index by person, each a page at random per
-- revisit (BENCHMARKS.md, "Where the disk bytes go"). The table's own
-- order covers what the person index held.
CREATE TABLE champion_contacts_by_person (
    person_id TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    patch TEXT NOT NULL,
    knocks BIGINT NOT NULL,
    conversations BIGINT NOT NULL,
    PRIMARY KEY (person_id, recorded_by)
) WITHOUT ROWID;
INSERT INTO champion_contacts_by_person (person_id, recorded_by, patch, knocks, conversations)
    SELECT person_id, recorded_by, patch, knocks, conversations FROM champion_contacts;
DROP TABLE champion_contacts;
ALTER TABLE champion_contacts_by_person RENAME TO champion_contacts;
CREATE INDEX champion_contacts_by_champion
    ON champion_contacts (recorded_by, patch, knocks, conversations);
