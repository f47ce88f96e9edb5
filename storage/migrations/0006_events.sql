-- Campaigns (a world-wide commemoration with many city sites) and events (SPEC §5).
CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 3 AND 120),
    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL CHECK (ends_on >= starts_on),
    created_by  INTEGER REFERENCES users (tg_id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL
);

-- An event's start and end are UTC instants computed from the local time typed in `timezone`;
-- the venue is an address or a link, disclosed per `disclosure`.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    author_id      INTEGER REFERENCES users (tg_id) ON DELETE SET NULL,
    campaign_id    INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    title          TEXT NOT NULL CHECK (length(title) BETWEEN 3 AND 120),
    description    TEXT NOT NULL CHECK (length(description) <= 2000),
    kind           TEXT NOT NULL CHECK (kind IN ('commemoration', 'rally', 'fundraiser',
                                                 'cultural', 'meeting', 'other')),
    starts_at      TEXT NOT NULL,
    ends_at        TEXT CHECK (ends_at IS NULL OR ends_at > starts_at),
    timezone       TEXT NOT NULL,
    country        TEXT NOT NULL CHECK (length(country) = 2),
    city           TEXT NOT NULL CHECK (length(city) BETWEEN 1 AND 80),
    venue          TEXT NOT NULL CHECK (length(venue) BETWEEN 1 AND 300),
    disclosure     TEXT NOT NULL CHECK (disclosure IN ('public', 'going', 'going_before')),
    disclose_hours INTEGER CHECK (disclose_hours IS NULL OR disclose_hours BETWEEN 1 AND 168),
    capacity       INTEGER CHECK (capacity IS NULL OR capacity BETWEEN 1 AND 100000),
    status         TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX events_upcoming ON events (status, starts_at);
CREATE INDEX events_country ON events (status, country, starts_at);
CREATE INDEX events_campaign ON events (campaign_id, country, city);
CREATE INDEX events_org ON events (org_id, starts_at);

-- Answers to an event. Beyond capacity, Going waits ('waiting') in order of `answered_at`.
CREATE TABLE rsvps (
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tg_id       INTEGER NOT NULL REFERENCES users (tg_id) ON DELETE CASCADE,
    answer      TEXT NOT NULL CHECK (answer IN ('going', 'maybe', 'not_going', 'waiting')),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (event_id, tg_id)
);
CREATE INDEX rsvps_answer ON rsvps (event_id, answer, answered_at);
CREATE INDEX rsvps_person ON rsvps (tg_id);

-- Messages an event owes at a given time (reminders 24 h and 1 h before, the venue reveal):
-- stored, so that a restart neither loses nor repeats them.
CREATE TABLE event_dues (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    what     TEXT NOT NULL CHECK (what IN ('remind_24h', 'remind_1h', 'reveal')),
    due_at   TEXT NOT NULL,
    done_at  TEXT,
    PRIMARY KEY (event_id, what)
);
CREATE INDEX event_dues_pending ON event_dues (due_at) WHERE done_at IS NULL;
