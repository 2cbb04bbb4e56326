-- The partnership's targets on headline figures (a report's figure, by
-- the key its headlines give it: `contacts`, `knocked_per_1000_households@*`
-- for every patch). Goals and margins are held in tenths, so that both
-- databases keep them exactly.
CREATE TABLE targets (
    report TEXT NOT NULL,
    figure TEXT NOT NULL,
    at_least BIGINT NOT NULL,
    goal_tenths BIGINT NOT NULL,
    margin_tenths BIGINT NOT NULL,
    set_at BIGINT NOT NULL,
    PRIMARY KEY (report, figure)
);
