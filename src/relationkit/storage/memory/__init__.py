"""The in-memory backend, the default of ``rk.open()`` (see :mod:`.store`)."""

from relationkit.storage.memory.store import MemoryStorage

__all__ = ["MemoryStorage"]
