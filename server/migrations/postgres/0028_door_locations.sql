-- Where each door is, for the map of patches: millionths of a degree
-- (about 11 cm), as integers so that both databases and the projection
-- writer compare them exactly. Null where the door has no location. The
-- projection version rises with this, so every door's row is written
-- again with its location when the server next starts.
ALTER TABLE addresses ADD COLUMN latitude_e6 BIGINT;
ALTER TABLE addresses ADD COLUMN longitude_e6 BIGINT;
