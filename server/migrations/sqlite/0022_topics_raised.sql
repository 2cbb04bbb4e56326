-- What residents raise at the door: one row per topic raised, or thing
-- they would like to join, in each doorstep conversation, with the
-- conversation's patch and time, so that the voices and "you said, we
-- did" reports count them without reading documents. Topics are the
-- area's tags, never free text about a person. Filled when the
-- projections are rebuilt (projection::VERSION).
CREATE TABLE topics_raised (
    interaction_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    person_id TEXT NOT NULL,
    patch TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (interaction_id, kind, topic)
);
CREATE INDEX topics_raised_person ON topics_raised (person_id);
CREATE INDEX topics_raised_at ON topics_raised (kind, at, patch, topic);

-- Every follow-up promised, done or not, for "you said, we did": the
-- open ones have their own index (report columns).
CREATE INDEX interactions_follow_ups ON interactions (at, patch, follow_up_due, follow_up_done_at, id)
    WHERE follow_up_owed = 1;
