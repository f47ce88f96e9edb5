-- /forget really forgets (SPEC §9).
--
-- The audit log names people through a pseudonym: `audit_people` maps a stable number to a
-- Telegram id, and /forget only deletes that id. Entries themselves never change, so the log
-- stays append-only; a forgotten person's entries read "member #N, forgotten".
CREATE TABLE audit_people (
    number INTEGER PRIMARY KEY,
    tg_id  INTEGER UNIQUE
);
INSERT INTO audit_people (tg_id)
    SELECT actor_id FROM audit_log WHERE actor_id IS NOT NULL
    UNION
    SELECT CAST(substr(target, 6) AS INTEGER) FROM audit_log WHERE target GLOB 'user:[0-9]*';
-- A mapping is never deleted, and can change in one way only: lose its Telegram id.
CREATE TRIGGER audit_people_only_forget BEFORE UPDATE ON audit_people
WHEN NEW.number IS NOT OLD.number OR NEW.tg_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'audit_people can only forget a Telegram id');
END;
CREATE TRIGGER audit_people_no_delete BEFORE DELETE ON audit_people
BEGIN
    SELECT RAISE(ABORT, 'audit_people can only forget a Telegram id');
END;

-- The entries: actor and subject (the person a `user:<id>` target named) by pseudonym.
CREATE TABLE audit_entries (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   INTEGER REFERENCES audit_people (number),
    action  TEXT NOT NULL,
    target  TEXT NOT NULL DEFAULT '',
    subject INTEGER REFERENCES audit_people (number)
);
INSERT INTO audit_entries (id, at, actor, action, target, subject)
    SELECT a.id, a.at, (SELECT number FROM audit_people WHERE tg_id = a.actor_id), a.action,
           CASE WHEN a.target GLOB 'user:[0-9]*' THEN 'user' ELSE a.target END,
           (SELECT number FROM audit_people WHERE a.target GLOB 'user:[0-9]*'
            AND tg_id = CAST(substr(a.target, 6) AS INTEGER))
    FROM audit_log AS a;
-- People who used /forget before this rule existed are forgotten here too.
UPDATE audit_people SET tg_id = NULL WHERE tg_id NOT IN (SELECT tg_id FROM users);
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
DROP TABLE audit_log;
CREATE INDEX audit_entries_actor ON audit_entries (actor);
CREATE INDEX audit_entries_subject ON audit_entries (subject);
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- `audit_log` keeps its shape as a view: who (Telegram id; NULL for the command line or a
-- forgotten person, told apart by actor_number), what, when, on what.
CREATE VIEW audit_log AS
    SELECT e.id, e.at, actor.tg_id AS actor_id, e.actor AS actor_number, e.action,
           CASE WHEN e.subject IS NULL THEN e.target
                WHEN subject.tg_id IS NULL THEN ''
                ELSE 'user:' || subject.tg_id END AS target,
           e.subject AS subject_number
    FROM audit_entries AS e
    LEFT JOIN audit_people AS actor ON actor.number = e.actor
    LEFT JOIN audit_people AS subject ON subject.number = e.subject;
CREATE TRIGGER audit_log_insert INSTEAD OF INSERT ON audit_log
BEGIN
    INSERT OR IGNORE INTO audit_people (tg_id) SELECT NEW.actor_id WHERE NEW.actor_id IS NOT NULL;
    INSERT OR IGNORE INTO audit_people (tg_id)
        SELECT CAST(substr(NEW.target, 6) AS INTEGER) WHERE NEW.target GLOB 'user:[0-9]*';
    INSERT INTO audit_entries (at, actor, action, target, subject) VALUES (
        NEW.at,
        (SELECT number FROM audit_people WHERE tg_id = NEW.actor_id),
        NEW.action,
        CASE WHEN NEW.target GLOB 'user:[0-9]*' THEN 'user' ELSE coalesce(NEW.target, '') END,
        (SELECT number FROM audit_people WHERE NEW.target GLOB 'user:[0-9]*'
         AND tg_id = CAST(substr(NEW.target, 6) AS INTEGER)));
END;
CREATE TRIGGER audit_log_no_update INSTEAD OF UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete INSTEAD OF DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Every column a /forget cascade or /mydata looks a person up by has an index, so that
-- neither reads whole tables (tests/unit/test_migrations.py checks the query plans).
CREATE INDEX invites_created_by ON invites (created_by);
CREATE INDEX invites_used_by ON invites (used_by);
CREATE INDEX invites_expiry ON invites (expires_at);
CREATE INDEX organisation_approvals_coordinator ON organisation_approvals (coordinator_id);
CREATE INDEX broadcasts_approved_by ON broadcasts (approved_by);
CREATE INDEX broadcasts_status_chat ON broadcasts (status_chat_id);
CREATE INDEX needs_author ON needs (author_id);
CREATE INDEX events_author ON events (author_id);
CREATE INDEX campaigns_created_by ON campaigns (created_by);
CREATE INDEX elections_created_by ON elections (created_by);
-- "Is this the last coordinator?" (asked by /forget) counts the few, not every member.
CREATE INDEX users_coordinators ON users (tg_id) WHERE is_coordinator = 1;
