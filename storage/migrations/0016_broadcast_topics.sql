-- What a message to an event's people is about, so that /broadcasts names it in words: a
-- reminder, a venue reveal, a change of time or place, or a cancellation notice (all sent as
-- kind 'reminder', which the queue handles alike). NULL for every other kind.
ALTER TABLE broadcasts ADD COLUMN topic TEXT
    CHECK (topic IS NULL OR topic IN ('reminder', 'reveal', 'change', 'cancellation'));
