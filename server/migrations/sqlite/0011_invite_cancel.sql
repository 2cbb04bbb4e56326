-- An admin can cancel an invite that was sent to the wrong person or lost:
-- a cancelled invite never registers a device.
ALTER TABLE invites ADD COLUMN cancelled_at BIGINT;
