-- Working groups, one row per group document: where it works (patch NULL
-- for the whole area), the area's topics it works on (comma-separated),
-- what is devolved to it, its lead (a person's id) and whether it closed.
-- No names of people: a group's name is the partnership's own.
CREATE TABLE working_groups (
    id TEXT PRIMARY KEY,
    area TEXT NOT NULL,
    patch TEXT,
    name TEXT NOT NULL,
    topics TEXT NOT NULL,
    devolved_budget BIGINT NOT NULL,
    devolved_decisions BIGINT NOT NULL,
    constituted BIGINT NOT NULL,
    lead TEXT,
    closed BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
