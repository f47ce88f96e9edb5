-- Members: the least we need to serve them (SPEC §9): Telegram id, language, settings, roles.
-- language is the person's explicit choice; client_language the Telegram client's, when it is
-- one we speak, so that messages the bot starts (notices, digests) use it too.
CREATE TABLE users (
    tg_id          INTEGER PRIMARY KEY,
    language       TEXT CHECK (language IN ('en', 'ru')),
    client_language TEXT CHECK (client_language IN ('en', 'ru')),
    country        TEXT CHECK (country IS NULL OR length(country) = 2),
    city           TEXT CHECK (city IS NULL OR length(city) <= 80),
    timezone       TEXT,
    digest_time    TEXT CHECK (digest_time IS NULL OR digest_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    is_coordinator INTEGER NOT NULL DEFAULT 0 CHECK (is_coordinator IN (0, 1)),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at     TEXT NOT NULL
);

-- Update ids already acted on, so an update Telegram delivers twice acts once (SPEC §8).
CREATE TABLE processed_updates (
    update_id    INTEGER PRIMARY KEY,
    processed_at TEXT NOT NULL
);
CREATE INDEX processed_updates_at ON processed_updates (processed_at);

-- The dialogue each person is in, so a restart resumes it (SPEC §8).
CREATE TABLE dialogues (
    tg_id      INTEGER PRIMARY KEY REFERENCES users (tg_id) ON DELETE CASCADE,
    flow       TEXT NOT NULL,
    step       TEXT NOT NULL,
    answers    TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);
