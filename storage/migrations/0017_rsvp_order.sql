-- The order of a waiting list's ties (same answered_at) as a column of its own: SQLite's rowid
-- and PostgreSQL's ctid, used until now, move when a table is vacuumed (and ctid on every
-- update), and an answer changed and changed back kept its old rowid, its old place.
-- answered_seq is the event's next number each time the answer changes (writes are serial).
ALTER TABLE rsvps ADD COLUMN answered_seq INTEGER NOT NULL DEFAULT 0;
-- Existing rows keep the order they had.
UPDATE rsvps SET answered_seq = rowid;
CREATE UNIQUE INDEX rsvps_order ON rsvps (event_id, answered_seq);
