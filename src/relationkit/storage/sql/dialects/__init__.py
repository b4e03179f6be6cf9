"""What differs between SQLite and PostgreSQL: connection set-up, locks, error codes."""
