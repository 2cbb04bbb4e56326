-- Each door's knocks in one run of the index, with their patch and
-- outcome: "doors knocked, answered, moved away" per patch is then one
-- pass grouping by door, where counting distinct doors per outcome over
-- the patch index sorted every knock three times (the Doors report over
-- two years of fortnightly knocks: 450 ms, now 140 ms). It serves the
-- lookups by door the index it replaces served.
CREATE INDEX door_visits_door ON door_visits (address_id, patch, outcome);
DROP INDEX door_visits_address;
