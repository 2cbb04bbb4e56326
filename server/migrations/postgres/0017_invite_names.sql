-- An invite can name the phone or person it is for ("Oak Lane champion"):
-- the device it registers takes that name.
ALTER TABLE invites ADD COLUMN device_name TEXT;
