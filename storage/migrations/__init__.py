"""Numbered SQL migrations, applied in order by storage.schema, on both backends.

`NNNN_name.sql` is written in SQLite's dialect; on PostgreSQL storage.postgres.translate_schema
translates it (INTEGER → BIGINT, INTEGER PRIMARY KEY → identity, TEXT → TEXT COLLATE "C",
GLOB → SIMILAR TO, INSERT OR IGNORE, "forbid" triggers…), so a plain migration (CREATE TABLE,
ALTER TABLE … ADD COLUMN, CREATE INDEX, UPDATE) needs nothing more. One it cannot translate
(a trigger with a body, a view) raises, naming the file; give it a sibling
`NNNN_name.postgres.sql`, the whole migration in PostgreSQL's words, run instead of it there.
"""
