"""SQLite storage: one connection, transactions, numbered migrations, repositories."""
