-- The coalition's channel (SPEC §12.3). A broadcast with a channel row (chat_id 0, see
-- storage.deliveries.CHANNEL) posts there; one with a subject ('event:12') edits the channel
-- message posted earlier for that subject, whose id channel_posts keeps, so that an edit after
-- a restart still finds it.
ALTER TABLE broadcasts ADD COLUMN channel_subject TEXT;
CREATE TABLE channel_posts (
    subject    TEXT PRIMARY KEY,
    message_id INTEGER NOT NULL
);
-- Since when the channel refuses the bot (removed, chat not found): coordinators are told once
-- when it is set, and it is cleared by the next post that goes through.
CREATE TABLE channel_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    lost_at TEXT
);
INSERT INTO channel_state (id, lost_at) VALUES (1, NULL);
