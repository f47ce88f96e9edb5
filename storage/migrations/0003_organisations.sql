-- Organisations and who acts for them (SPEC §2, §9): vetting, memberships, invites, audit.
CREATE TABLE organisations (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 2 AND 80),
    name_key     TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    country      TEXT NOT NULL CHECK (length(country) = 2),
    city         TEXT CHECK (city IS NULL OR length(city) <= 80),
    website      TEXT CHECK (website IS NULL OR length(website) <= 200),
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
    applicant_id INTEGER REFERENCES users (tg_id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    decided_at   TEXT
);
CREATE INDEX organisations_status ON organisations (status, name_key);
CREATE INDEX organisations_applicant ON organisations (applicant_id);

-- One row per coordinator who approved a pending organisation (ORG_APPROVALS_REQUIRED).
CREATE TABLE organisation_approvals (
    org_id         INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    coordinator_id INTEGER NOT NULL,
    approved_at    TEXT NOT NULL,
    PRIMARY KEY (org_id, coordinator_id)
);

-- A person is an organiser of at most one organisation: the primary key says so.
CREATE TABLE memberships (
    tg_id     INTEGER PRIMARY KEY REFERENCES users (tg_id) ON DELETE CASCADE,
    org_id    INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL
);
CREATE INDEX memberships_org ON memberships (org_id);

-- Invites are stored as SHA-256 of the token only: the link itself is never kept.
CREATE TABLE invites (
    token_hash TEXT PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    created_by INTEGER REFERENCES users (tg_id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by    INTEGER REFERENCES users (tg_id) ON DELETE SET NULL,
    used_at    TEXT
);

-- Privileged actions, append-only: who (NULL = the command line), what, when, on what.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor_id INTEGER,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
