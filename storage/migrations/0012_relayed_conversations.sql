-- Relayed conversations (SPEC §10.1): the bot carries messages between a helper and the
-- organisers, and from attendees to an event's organisers. The texts themselves go out as
-- notices and are forgotten once delivered; only a count per offer stays.
ALTER TABLE offers ADD COLUMN relayed INTEGER NOT NULL DEFAULT 0;

-- When each person relayed a message, for the limit of 20 an hour; a person's older rows are
-- deleted as they write again, and all of them with the person (/forget).
CREATE TABLE relay_sends (
    tg_id   INTEGER NOT NULL REFERENCES users (tg_id) ON DELETE CASCADE,
    sent_at TEXT NOT NULL
);
CREATE INDEX relay_sends_person ON relay_sends (tg_id, sent_at);

-- A message to an event's attendees is one broadcast with each recipient's own text and
-- buttons (in their language); both are forgotten once it is delivered.
ALTER TABLE deliveries ADD COLUMN reply_markup TEXT;
