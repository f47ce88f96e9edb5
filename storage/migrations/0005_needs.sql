-- Needs of member organisations (SPEC §4), offers of help, and who wants critical alerts.
CREATE TABLE needs (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    author_id       INTEGER REFERENCES users (tg_id) ON DELETE SET NULL,
    title           TEXT NOT NULL CHECK (length(title) BETWEEN 3 AND 120),
    description     TEXT NOT NULL CHECK (length(description) <= 2000),
    private_details TEXT CHECK (private_details IS NULL OR length(private_details) <= 1000),
    category        TEXT NOT NULL CHECK (category IN ('legal', 'housing', 'evacuation', 'money',
                    'volunteers', 'translation', 'media', 'medical', 'other')),
    urgency         TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'critical')),
    -- Critical and urgent first: a number so that one index serves the order.
    urgency_rank    INTEGER NOT NULL GENERATED ALWAYS AS (
                        CASE urgency WHEN 'critical' THEN 2 WHEN 'urgent' THEN 1 ELSE 0 END
                    ) VIRTUAL,
    country         TEXT NOT NULL CHECK (country = 'online' OR length(country) = 2),
    city            TEXT CHECK (city IS NULL OR length(city) <= 80),
    deadline        TEXT,
    status          TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'fulfilled', 'closed', 'expired')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    asked_at        TEXT
);
CREATE INDEX needs_open ON needs (status, urgency_rank DESC, created_at DESC);
CREATE INDEX needs_open_category ON needs (status, category, urgency_rank DESC, created_at DESC);
CREATE INDEX needs_open_country ON needs (status, country, urgency_rank DESC, created_at DESC);
CREATE INDEX needs_org ON needs (org_id, status);
CREATE INDEX needs_deadline ON needs (deadline) WHERE status = 'open';
CREATE INDEX needs_untouched ON needs (updated_at) WHERE status = 'open' AND asked_at IS NULL;

-- An offer of help; the helper's @username only if they chose to share it with the organisers.
CREATE TABLE offers (
    id         INTEGER PRIMARY KEY,
    need_id    INTEGER NOT NULL REFERENCES needs (id) ON DELETE CASCADE,
    helper_id  INTEGER NOT NULL REFERENCES users (tg_id) ON DELETE CASCADE,
    message    TEXT NOT NULL CHECK (length(message) BETWEEN 1 AND 500),
    username   TEXT,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at TEXT NOT NULL,
    decided_at TEXT,
    UNIQUE (need_id, helper_id)
);
CREATE INDEX offers_helper ON offers (helper_id);

-- Categories of critical needs a member wants to be alerted about (none by default).
CREATE TABLE need_alerts (
    tg_id    INTEGER NOT NULL REFERENCES users (tg_id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    PRIMARY KEY (tg_id, category)
);
CREATE INDEX need_alerts_category ON need_alerts (category);
