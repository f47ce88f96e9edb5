-- Which of the bot processes sharing the database runs the scheduled jobs (SPEC §11): the
-- holder renews its lease; another process takes it over once it has expired.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- The flood limit's window of each person who wrote lately, when bot processes share a
-- PostgreSQL database (read and written under the person's lock, so the limit holds whichever
-- replica gets each update): seen, the moments of their latest updates, space-separated.
CREATE TABLE flood_windows (
    tg_id     INTEGER PRIMARY KEY,
    seen      TEXT NOT NULL,
    last_at   TEXT NOT NULL,
    warned_at TEXT
);
CREATE INDEX flood_windows_last ON flood_windows (last_at);
