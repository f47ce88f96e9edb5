-- One mass sending (announcement, digest, alert, reminder, notice) and its progress (SPEC §6.2).
-- Counters are kept in step with the deliveries below, in the same transactions, so progress is
-- one row read however many recipients there are. Features add their own columns (approvals,
-- status message) with ALTER TABLE in later migrations.
CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL
                 CHECK (kind IN ('announcement', 'digest', 'alert', 'reminder', 'notice')),
    author_id    INTEGER REFERENCES users (tg_id) ON DELETE SET NULL,
    audience     TEXT NOT NULL,
    text         TEXT NOT NULL,
    reply_markup TEXT,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'awaiting_approval', 'scheduled',
                                                 'sending', 'done', 'cancelled')),
    created_at   TEXT NOT NULL,
    not_before   TEXT NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    sent         INTEGER NOT NULL DEFAULT 0,
    blocked      INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    cancelled    INTEGER NOT NULL DEFAULT 0,
    -- Rows sent again after an outcome nobody could know (a crash, an expired lease, a
    -- time-out): an upper bound on the recipients who may have got the message twice.
    resent       INTEGER NOT NULL DEFAULT 0,
    finished_at  TEXT
);
CREATE INDEX broadcasts_status ON broadcasts (status, not_before);
CREATE INDEX broadcasts_author ON broadcasts (author_id, created_at);

-- One recipient of a broadcast, written before anything is sent; a send claims it with a lease.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    broadcast_id    INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    chat_id         INTEGER NOT NULL,
    text            TEXT,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'blocked', 'failed',
                                      'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    lease_until     TEXT,
    next_attempt_at TEXT NOT NULL,
    error           TEXT,
    sent_at         TEXT,
    UNIQUE (broadcast_id, chat_id)
);
-- Claiming walks one broadcast's due rows in order, and "anything left?" is two probes.
CREATE INDEX deliveries_due ON deliveries (broadcast_id, status, next_attempt_at);
CREATE INDEX deliveries_leases ON deliveries (lease_until) WHERE status = 'sending';
CREATE INDEX deliveries_chat ON deliveries (chat_id);
