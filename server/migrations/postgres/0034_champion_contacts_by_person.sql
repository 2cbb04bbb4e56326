-- SQLite keeps champion contacts in (person, champion) order in the table
-- itself from this migration on. PostgreSQL has no such table: its heap
-- with the primary key and the covering index by person stay as they are.
SELECT 1;
