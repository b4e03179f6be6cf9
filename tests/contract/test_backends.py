"""The shipped contract suite, run against every in-tree backend.

Memory always; an SQLite file per test; PostgreSQL when
``RELATIONKIT_TEST_POSTGRES_URL`` is set (see ``conftest.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

import relationkit as rk
from relationkit.storage.sql import SqlStorage
from relationkit.testing.contract import StorageContract


class TestMemory(StorageContract):
    """The reference backend: one process, nothing survives it."""

    def make_storage(self) -> rk.Storage:
        return rk.MemoryStorage()


class TestSqlite(StorageContract):
    """An SQLite file per store, in the test's temporary directory."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path
        self.made = itertools.count()
        self.url = ""

    def make_storage(self) -> rk.Storage:
        self.url = f"sqlite:///{self.directory / f'crm-{next(self.made)}.db'}"
        return SqlStorage.from_url(self.url)

    def make_second_handle(self) -> rk.Storage:
        return SqlStorage.from_url(self.url)


@pytest.mark.postgresql
class TestPostgres(StorageContract):
    """PostgreSQL, with tables of the test's own under a random prefix."""

    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str, new_postgres_prefix: Callable[[], str]) -> None:
        self.url = postgres_url
        self.prefix = new_postgres_prefix()

    def make_storage(self) -> rk.Storage:
        return SqlStorage.from_url(self.url, prefix=self.prefix)

    def make_second_handle(self) -> rk.Storage:
        return SqlStorage.from_url(self.url, prefix=self.prefix)
