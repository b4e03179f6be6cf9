"""The SQL backend's tables and the check that a database holds them intact."""

from relationkit.storage.sql.schema.tables import SCHEMA_VERSION, Tables, build_tables, new_metadata

__all__ = ["SCHEMA_VERSION", "Tables", "build_tables", "new_metadata"]
