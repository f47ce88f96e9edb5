-- Public labels (SPEC §10.2): coordinators and organisers are shown to each other by a label
-- they chose ("Anna, Berlin secretariat"), never by their Telegram id. /forget deletes the row,
-- and the label with it.
ALTER TABLE users ADD COLUMN label TEXT CHECK (label IS NULL OR length(label) BETWEEN 2 AND 40);

-- Who answered an offer, so that another organiser is told "already accepted by <label>".
ALTER TABLE offers ADD COLUMN decided_by INTEGER REFERENCES users (tg_id) ON DELETE SET NULL;
CREATE INDEX offers_decided_by ON offers (decided_by);
