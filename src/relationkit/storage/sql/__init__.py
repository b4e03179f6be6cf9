"""The SQLAlchemy Core backend: SQLite for embedded use, PostgreSQL at scale.

::

    from relationkit.storage.sql import SqlStorage

    storage = SqlStorage.from_url("sqlite:///crm.db")      # owns its engine
    storage = SqlStorage(host_engine, metadata=host_metadata, prefix="crm_")

Tables are Core ``Table`` objects added to a ``MetaData`` (the host's or a new
one); the domain's attrs models stay unmapped. Nothing touches a database
before a ``SqlStorage`` is constructed.
"""

from relationkit.storage.sql.replica import ReplicatedStorage
from relationkit.storage.sql.schema.tables import SCHEMA_VERSION, new_metadata
from relationkit.storage.sql.store import SqlStorage

__all__ = ["SCHEMA_VERSION", "ReplicatedStorage", "SqlStorage", "new_metadata"]
