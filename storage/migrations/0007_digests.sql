-- Digests (SPEC §7): the elections calendar and each subscriber's stored schedule.
CREATE TABLE elections (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 2 AND 120),
    date       TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    country    TEXT NOT NULL CHECK (length(country) = 2),
    created_by INTEGER REFERENCES users (tg_id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX elections_date ON elections (date);

-- next_due_at: the UTC instant of the next digest; NULL means "to be computed again" (after a
--   change of the member's zone or digest time, or of the elections calendar).
-- schedule_from: the instant the next digest is counted from (the last period handled, or the
--   moment of subscribing), so that a recomputation never re-sends a period already handled.
-- last_period: the last period queued (its due instant), for idempotency per period.
-- last_until: the end of the last digest's period: "new since the last digest" starts there.
-- due_group: while a due digest is being queued, the composition it shares with others.
ALTER TABLE subscriptions ADD COLUMN next_due_at TEXT;
ALTER TABLE subscriptions ADD COLUMN schedule_from TEXT;
ALTER TABLE subscriptions ADD COLUMN last_period TEXT;
ALTER TABLE subscriptions ADD COLUMN last_until TEXT;
ALTER TABLE subscriptions ADD COLUMN due_group TEXT;
CREATE INDEX subscriptions_due ON subscriptions (next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX subscriptions_unscheduled ON subscriptions (tg_id) WHERE next_due_at IS NULL;
CREATE INDEX subscriptions_group ON subscriptions (due_group, tg_id) WHERE due_group IS NOT NULL;

-- A member who changes their time zone or digest time gets their schedule computed again.
CREATE TRIGGER subscriptions_reschedule AFTER UPDATE OF digest_time, timezone ON users
WHEN OLD.digest_time IS NOT NEW.digest_time OR OLD.timezone IS NOT NEW.timezone
BEGIN
    UPDATE subscriptions SET next_due_at = NULL WHERE tg_id = NEW.tg_id AND due_group IS NULL;
END;

-- Announcements recalled by digests are found by the time they finished going out.
CREATE INDEX broadcasts_finished ON broadcasts (kind, finished_at);
