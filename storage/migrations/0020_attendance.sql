-- How many people came to an event, as its organisers reported it (SPEC §12.2): the count
-- (NULL when not reported or skipped), an optional note, and who answered when. The first
-- organiser to answer is kept; `attendance_at` set with a NULL count means "skipped".
ALTER TABLE events ADD COLUMN attendance INTEGER
    CHECK (attendance IS NULL OR attendance BETWEEN 0 AND 100000);
ALTER TABLE events ADD COLUMN attendance_note TEXT
    CHECK (attendance_note IS NULL OR length(attendance_note) <= 300);
ALTER TABLE events ADD COLUMN attendance_by INTEGER REFERENCES users (tg_id) ON DELETE SET NULL;
ALTER TABLE events ADD COLUMN attendance_at TEXT;
CREATE INDEX events_attendance_by ON events (attendance_by);

-- The question "How many people came?" is one more thing an event owes at a given time: the
-- table is rebuilt to let `what` be 'attendance' (a CHECK cannot be altered in SQLite).
CREATE TABLE event_dues_new (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    what     TEXT NOT NULL CHECK (what IN ('remind_24h', 'remind_1h', 'reveal', 'attendance')),
    due_at   TEXT NOT NULL,
    done_at  TEXT,
    PRIMARY KEY (event_id, what)
);
INSERT INTO event_dues_new (event_id, what, due_at, done_at)
    SELECT event_id, what, due_at, done_at FROM event_dues;
DROP TABLE event_dues;
ALTER TABLE event_dues_new RENAME TO event_dues;
CREATE INDEX event_dues_pending ON event_dues (due_at) WHERE done_at IS NULL;
