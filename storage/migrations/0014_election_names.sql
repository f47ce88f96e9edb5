-- An election may carry its name in each language (issue 15): `name` is the English name, asked
-- first and always given; `name_ru` the Russian one, optional. A reader sees the name in their
-- language when it was given, else `name`.
ALTER TABLE elections ADD COLUMN name_ru TEXT CHECK (name_ru IS NULL OR length(name_ru) BETWEEN 2 AND 120);
