"""The SQLAlchemy Core backend: SQLite for embedded use, PostgreSQL at scale.

::

    from relationkit.storage.sql import SqlStorage

    storage = SqlStorage.from_url("sqlite:///crm.db")      # owns its engine
    storage = SqlStorage(host_engine, metadata=host_metadata, prefix="crm_")

Tables are Core ``Table`` objects added to a ``MetaData`` (the host's or a new
one); the domain's attrs models stay unmapped. Nothing touches a database
before a ``SqlStorage`` is constructed.
"""

from relationkit.storage.sql.store import SqlStorage
from relationkit.storage.sql.tables import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "SqlStorage"]
