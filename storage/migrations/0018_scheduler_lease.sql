-- Which of the bot processes sharing the database runs the scheduled jobs (SPEC §11): the
-- holder renews its lease; another process takes it over once it has expired.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
