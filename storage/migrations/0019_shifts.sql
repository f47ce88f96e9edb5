-- Shifts of an event (SPEC §12.1): a role, a start and an end within the event (UTC instants),
-- and places. The reminder 1 h before is stored on the shift (`remind_at`, `reminded_at`), so
-- that a restart neither loses nor repeats it.
CREATE TABLE shifts (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (length(role) BETWEEN 2 AND 40),
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL CHECK (ends_at > starts_at),
    places      INTEGER NOT NULL CHECK (places BETWEEN 1 AND 1000),
    remind_at   TEXT NOT NULL,
    reminded_at TEXT
);
CREATE INDEX shifts_event ON shifts (event_id, starts_at);
CREATE INDEX shifts_reminder ON shifts (remind_at) WHERE reminded_at IS NULL;

-- Who took a shift ('taken') or waits for a place ('waiting', in order of `id`); deleted with
-- the person (/forget), whose taken places go to the waiting list first.
CREATE TABLE shift_signups (
    id        INTEGER PRIMARY KEY,
    shift_id  INTEGER NOT NULL REFERENCES shifts (id) ON DELETE CASCADE,
    tg_id     INTEGER NOT NULL REFERENCES users (tg_id) ON DELETE CASCADE,
    state     TEXT NOT NULL CHECK (state IN ('taken', 'waiting')),
    signed_at TEXT NOT NULL,
    UNIQUE (shift_id, tg_id)
);
CREATE INDEX shift_signups_person ON shift_signups (tg_id);
CREATE INDEX shift_signups_state ON shift_signups (shift_id, state, id);
