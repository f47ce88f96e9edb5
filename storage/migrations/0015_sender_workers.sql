-- Sender workers in processes of their own share the delivery queue (SPEC §11).
-- Which sender holds a row in flight: a sender restarted under its name takes its rows back at
-- once; another one only when their lease expires.
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
-- Rows in flight now were the one in-process sender's, which keeps that name.
UPDATE deliveries SET lease_owner = 'bot' WHERE status = 'sending';
-- When a send of this row last reached Telegram (Unix seconds, real time): no sender claims a
-- row for a chat that got a message less than a second ago, or has one in flight.
ALTER TABLE deliveries ADD COLUMN attempted_at DOUBLE PRECISION;
-- The global send rate as a token bucket shared by every sender: a sender reserves a block of
-- slots at a time by moving next_slot on (Unix seconds, real time).
CREATE TABLE send_slots (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    next_slot DOUBLE PRECISION NOT NULL
);
INSERT INTO send_slots (id, next_slot) VALUES (1, 0);
