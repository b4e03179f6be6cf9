"""Moved to :mod:`relationkit.storage.sql.dialects.sqlite` (kept for old imports)."""

from relationkit.storage.sql.dialects.sqlite import WRITE_OPTION, install, is_memory_url

__all__ = ["WRITE_OPTION", "install", "is_memory_url"]
