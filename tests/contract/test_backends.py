"""The shipped contract suite (``relationkit.testing.AdapterSuite``) on every in-tree backend.

Memory always; an SQLite file per store; PostgreSQL when
``RELATIONKIT_TEST_POSTGRES_URL`` is set (see ``conftest.py``), with tables
under a random prefix per store, dropped afterwards.

The state machines' sizes come from ``RELATIONKIT_HYPOTHESIS_PROFILE``:
``ci`` (the default, sized so this directory runs in a few minutes on two
cores), ``dev`` (quick) or ``thorough`` (for a nightly run or a release).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

import relationkit as rk
from relationkit.storage.sql import SqlStorage
from relationkit.testing import AdapterSuite, Requirements
from relationkit.testing.machines.suite import machine_settings

_PROFILE = os.environ.get("RELATIONKIT_HYPOTHESIS_PROFILE", "ci")
# (examples, steps) of the equivalence machine, then of the ledger machine, per backend.
_SIZES = {
    "dev": {"memory": ((8, 20), (25, 20)), "sql": ((8, 20), (8, 20))},
    "ci": {"memory": ((10, 30), (250, 50)), "sql": ((25, 30), (40, 30))},
    "thorough": {"memory": ((200, 50), (1000, 50)), "sql": ((200, 50), (200, 50))},
}
if _PROFILE not in _SIZES:
    raise ValueError(f"RELATIONKIT_HYPOTHESIS_PROFILE must be one of {sorted(_SIZES)}")


def _machines(backend: str) -> tuple[settings, settings]:
    (eq_examples, eq_steps), (ledger_examples, ledger_steps) = _SIZES[_PROFILE][backend]
    return machine_settings(eq_examples, eq_steps), machine_settings(ledger_examples, ledger_steps)


class TestMemory(AdapterSuite):
    """The reference backend: one process, nothing survives it."""

    requirements = Requirements(savepoints=True)
    equivalence_settings, ledger_settings = _machines("memory")

    def make_storage(self) -> rk.Storage:
        return rk.MemoryStorage()


class TestSqlite(AdapterSuite):
    """An SQLite file per store, in the test's temporary directory.

    SQLite locks the whole file for a writer: no row locks.
    """

    requirements = Requirements(
        savepoints=True, reopen=True, second_handle=True, concurrent_writers=True
    )
    equivalence_settings, ledger_settings = _machines("sql")

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

    def dispose_storage(self, storage: rk.Storage) -> None:
        storage.close()
        for leftover in self.directory.glob("crm-*.db*"):
            leftover.unlink()


@pytest.mark.postgresql
class TestPostgres(AdapterSuite):
    """PostgreSQL, with tables of the store's own under a random prefix."""

    requirements = Requirements(
        savepoints=True, reopen=True, second_handle=True, concurrent_writers=True, row_locks=True
    )
    equivalence_settings, ledger_settings = _machines("sql")

    @pytest.fixture(autouse=True)
    def _database(
        self,
        postgres_url: str,
        new_postgres_prefix: Callable[[], str],
        drop_postgres_tables: Callable[[str], None],
    ) -> None:
        self.url = postgres_url
        self.new_prefix = new_postgres_prefix
        self.drop = drop_postgres_tables
        self.prefix = ""

    def make_storage(self) -> rk.Storage:
        self.prefix = self.new_prefix()
        return SqlStorage.from_url(self.url, prefix=self.prefix)

    def make_second_handle(self) -> rk.Storage:
        return SqlStorage.from_url(self.url, prefix=self.prefix)

    def dispose_storage(self, storage: rk.Storage) -> None:
        storage.close()
        self.drop(self.prefix)
