"""The store's SQL statements: the repositories' lookups and the pushed-down queries."""
