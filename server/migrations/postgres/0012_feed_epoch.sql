-- The life of the database's data: 0 until it is first restored from a
-- backup, then a new random number at each restore. Devices' feed cursors
-- carry it; a cursor from another epoch makes the device send everything
-- it holds again, so changes the backup lacks come back from the phones.
ALTER TABLE feed_counter ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;
