-- Announcements (SPEC §6.1): the author's status message, edited in place, and the second
-- coordinator who approved a broadcast to everyone (four-eyes rule).
ALTER TABLE broadcasts ADD COLUMN status_chat_id INTEGER;
ALTER TABLE broadcasts ADD COLUMN status_message_id INTEGER;
ALTER TABLE broadcasts ADD COLUMN approved_by INTEGER;

-- Digest subscriptions (SPEC §7.1); the schedule's columns come with the digests themselves.
CREATE TABLE subscriptions (
    tg_id      INTEGER PRIMARY KEY REFERENCES users (tg_id) ON DELETE CASCADE,
    frequency  TEXT NOT NULL DEFAULT 'auto' CHECK (frequency IN ('auto', 'daily', 'weekly')),
    topics     TEXT NOT NULL DEFAULT 'needs,events,announcements',
    country    TEXT CHECK (country IS NULL OR length(country) = 2),
    created_at TEXT NOT NULL
);
