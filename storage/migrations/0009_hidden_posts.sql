-- A coordinator hides a single need or event (SPEC §2): members no longer see it, as if its
-- organisation were suspended, until a coordinator unhides it. Nothing is deleted.
ALTER TABLE needs ADD COLUMN hidden_at TEXT;
ALTER TABLE needs ADD COLUMN hidden_by INTEGER REFERENCES users (tg_id) ON DELETE SET NULL;
ALTER TABLE needs ADD COLUMN hidden_reason TEXT;
ALTER TABLE events ADD COLUMN hidden_at TEXT;
ALTER TABLE events ADD COLUMN hidden_by INTEGER REFERENCES users (tg_id) ON DELETE SET NULL;
ALTER TABLE events ADD COLUMN hidden_reason TEXT;
-- /forget and /mydata look a coordinator up by it.
CREATE INDEX needs_hidden_by ON needs (hidden_by);
CREATE INDEX events_hidden_by ON events (hidden_by);
-- What members may see is counted from the index alone, as before there was hiding: without
-- these, /needs with 100,000 needs read every open row to check hidden_at.
CREATE INDEX needs_visible ON needs (org_id, status) WHERE hidden_at IS NULL;
CREATE INDEX events_visible ON events (org_id, status, starts_at) WHERE hidden_at IS NULL;
