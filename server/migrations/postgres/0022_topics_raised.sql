-- What residents raise at the door: one row per topic raised, or thing
-- they would like to join, in each doorstep conversation, with the
-- conversation's patch, time and month (UTC, as YYYYMM), and any
-- follow-up promised in it, so that the voices and "you said, we did"
-- reports count them from an index without reading documents or joining
-- every interaction. Topics are the area's tags, never free text about a
-- person. Filled when the projections are rebuilt (projection::VERSION).
CREATE TABLE topics_raised (
    interaction_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    person_id TEXT NOT NULL,
    patch TEXT NOT NULL,
    at BIGINT NOT NULL,
    month BIGINT NOT NULL,
    follow_up_owed BIGINT NOT NULL,
    follow_up_due BIGINT,
    follow_up_done_at BIGINT,
    PRIMARY KEY (interaction_id, kind, topic)
);
CREATE INDEX topics_raised_person ON topics_raised (person_id);
-- Voices: counted per (month, patch, topic) in the index's order.
CREATE INDEX topics_raised_months ON topics_raised (kind, month, patch, topic, at);
-- "You said, we did" per topic, in (patch, topic) order so that it is
-- counted as read.
CREATE INDEX topics_raised_promises
    ON topics_raised (patch, topic, at, follow_up_due, follow_up_done_at)
    WHERE follow_up_owed = 1 AND kind = 'topic';

-- Every follow-up promised, done or not, for "you said, we did" per
-- patch, in patch order: the open ones have their own index (report
-- columns).
CREATE INDEX interactions_follow_ups ON interactions (patch, at, follow_up_due, follow_up_done_at)
    WHERE follow_up_owed = 1;
