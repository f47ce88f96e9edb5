-- 0017_rsvp_order.sql in PostgreSQL's words: the rows' order until now was their ctid.
ALTER TABLE rsvps ADD COLUMN answered_seq BIGINT NOT NULL DEFAULT 0;
UPDATE rsvps SET answered_seq = ranked.seq
    FROM (SELECT ctid AS place, row_number() OVER (ORDER BY ctid) AS seq FROM rsvps) AS ranked
    WHERE rsvps.ctid = ranked.place;
CREATE UNIQUE INDEX rsvps_order ON rsvps (event_id, answered_seq);
