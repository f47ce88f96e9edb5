-- Coordinator rights asked for in the bot under the four-eyes rule
-- (BROADCAST_APPROVALS_REQUIRED): they take effect only once a second coordinator approves.
CREATE TABLE coordinator_grants (
    id           INTEGER PRIMARY KEY,
    candidate_id INTEGER NOT NULL,
    requested_by INTEGER NOT NULL,
    requested_at TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by   INTEGER,
    decided_at   TEXT
);
-- One open request per candidate.
CREATE UNIQUE INDEX coordinator_grants_pending ON coordinator_grants (candidate_id)
    WHERE status = 'pending';
-- /forget and /mydata look a person up by each of these.
CREATE INDEX coordinator_grants_candidate ON coordinator_grants (candidate_id);
CREATE INDEX coordinator_grants_requested_by ON coordinator_grants (requested_by);
CREATE INDEX coordinator_grants_decided_by ON coordinator_grants (decided_by);
