-- SQLite keeps each person's steps in (person, step) order in the table
-- itself from this migration on. PostgreSQL has no such table: its heap
-- with the primary key and the index by person stay as they are.
SELECT 1;
