"""Finding a storage backend for a URL: in-tree backends and entry-point plugins.

Plugins register in the ``relationkit.storage`` entry-point group under a URL
scheme name (``"mystore"`` handles ``mystore://...``); the entry point is a
callable ``factory(url: str, **options) -> Storage``. Discovery is lazy: the
entry points are read on the first URL that no registered factory claims.
:func:`register` adds a factory at run time (tests, hosts embedding their own).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from relationkit.errors import ValidationError
from relationkit.storage.ports import Storage

__all__ = ["ENTRY_POINT_GROUP", "Registry", "StorageFactory", "default_registry", "register"]

ENTRY_POINT_GROUP = "relationkit.storage"
"""The entry-point group a storage plugin registers its URL schemes in."""
StorageFactory = Callable[..., Storage]
"""What a scheme maps to: called with the URL and the backend options, returns a Storage."""

_SQL_SCHEMES = (
    "sqlite",
    "postgresql",
    "postgres",
    "mysql",
    "mariadb",
    "cockroachdb",
    "oracle",
    "mssql",
)


def _memory(url: str, **options: Any) -> Storage:
    from relationkit.storage.memory import MemoryStorage

    if options:
        raise ValidationError(sorted(options)[0], "is not an option of the memory backend")
    return MemoryStorage()


def _sql(url: str, **options: Any) -> Storage:
    from relationkit.storage.sql import SqlStorage

    return SqlStorage.from_url(url, **options)


class Registry:
    """Maps URL schemes to storage factories (one registry per process is usual)."""

    def __init__(self) -> None:
        self._factories: dict[str, StorageFactory] = {"memory": _memory}
        self._factories.update(dict.fromkeys(_SQL_SCHEMES, _sql))
        self._loaded = False
        self._lock = threading.Lock()

    def register(self, scheme: str, factory: StorageFactory) -> None:
        """Make ``factory`` handle URLs whose scheme is ``scheme``."""
        with self._lock:
            self._factories[scheme] = factory

    def _load_entry_points(self) -> None:
        with self._lock:
            if self._loaded:
                return
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                self._factories.setdefault(ep.name, lambda url, _ep=ep, **kw: _ep.load()(url, **kw))
            self._loaded = True

    def open(self, url: str, *, sql: dict[str, Any] | None = None, **options: Any) -> Storage:
        """Return a new storage for ``url``.

        Args:
            url: the store's URL; its scheme picks the backend.
            sql: options only the SQL backend takes (``metadata``, ``prefix``,
                ``create``); a plugin never receives them.
            **options: passed to the backend's factory.

        Raises:
            ValidationError: if no backend handles the URL's scheme.
        """
        if not isinstance(url, str) or ("://" not in url and url != "memory"):
            raise ValidationError("url", "must look like 'sqlite:///crm.db' or 'memory://'")
        scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else url
        factory = self._factories.get(scheme)
        if factory is None:
            self._load_entry_points()
            factory = self._factories.get(scheme)
        if factory is None:
            raise ValidationError(
                "url", f"no storage backend for scheme {scheme!r}; install its plugin"
            )
        if factory is _sql:
            options = {**(sql or {}), **options}
        return factory(url, **options)


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """Return the process-wide registry, made on first use (nothing at import)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Registry()
        return _default


def register(scheme: str, factory: StorageFactory) -> None:
    """Register ``factory`` for ``scheme`` in the process-wide registry."""
    default_registry().register(scheme, factory)
