-- Each user's own alerts for new customer messages: a desktop notification and a sound, both on
-- until the user turns them off (the browser still asks before showing any notification).
ALTER TABLE users ADD COLUMN alert_desktop boolean NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN alert_sound boolean NOT NULL DEFAULT true;
