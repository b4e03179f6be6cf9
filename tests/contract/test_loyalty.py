"""The loyalty contract and the ledger state machine, on every in-tree backend.

Memory always; an SQLite file per test (and per Hypothesis example);
PostgreSQL when ``RELATIONKIT_TEST_POSTGRES_URL`` is set, with tables under a
random prefix per test (and per example), dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# The suites' asserts live in the package: have pytest rewrite them, so a failure
# shows both sides. Must run before the modules are imported.
pytest.register_assert_rewrite(
    "relationkit.testing.loyalty_contract", "relationkit.testing.loyalty_machine"
)

import sqlalchemy as sa  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402

import relationkit as rk  # noqa: E402
from relationkit.storage.sql import SqlStorage  # noqa: E402
from relationkit.testing.loyalty_contract import LoyaltyContract, OpenKit  # noqa: E402
from relationkit.testing.loyalty_machine import make_ledger_machine  # noqa: E402

POSTGRES_ENV = "RELATIONKIT_TEST_POSTGRES_URL"


def _machine_settings(examples: int, steps: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


class _Postgres:
    """The test server and the table prefixes handed out on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = sa.create_engine(url, poolclass=sa.NullPool)

    def new_prefix(self) -> str:
        """Return a table prefix no other test or example uses."""
        return f"t{uuid.uuid4().hex[:12]}_"

    def drop(self, prefix: str) -> None:
        """Drop every table whose name starts with ``prefix``."""
        metadata = sa.MetaData()
        metadata.reflect(self.admin, only=lambda name, _metadata: name.startswith(prefix))
        metadata.drop_all(self.admin)


@pytest.fixture(scope="module")
def loyalty_postgres() -> Iterator[_Postgres]:
    """The PostgreSQL server of ``RELATIONKIT_TEST_POSTGRES_URL``, or a skip."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set (scripts/postgres.sh start prints one)")
    server = _Postgres(url)
    yield server
    server.admin.dispose()


# -- the contract ------------------------------------------------------------------


class TestMemoryLoyalty(LoyaltyContract):
    """The reference backend."""

    def make_storage(self) -> rk.Storage:
        return rk.MemoryStorage()

    def test_process_due_expires_earned_points_after_a_void(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        super().test_process_due_expires_earned_points_after_a_void(open_kit, clock)


class TestSqliteLoyalty(LoyaltyContract):
    """An SQLite file per store, in the test's temporary directory."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def make_storage(self) -> rk.Storage:
        return SqlStorage.from_url(f"sqlite:///{self.directory / 'loyalty.db'}")


@pytest.mark.postgresql
class TestPostgresLoyalty(LoyaltyContract):
    """PostgreSQL, with tables of the test's own under a random prefix."""

    @pytest.fixture(autouse=True)
    def _database(self, loyalty_postgres: _Postgres) -> Iterator[None]:
        self.url = loyalty_postgres.url
        self.prefix = loyalty_postgres.new_prefix()
        yield
        loyalty_postgres.drop(self.prefix)

    def make_storage(self) -> rk.Storage:
        return SqlStorage.from_url(self.url, prefix=self.prefix)


# -- the state machine ----------------------------------------------------------------


def test_ledger_machine_on_memory() -> None:
    """The ledger matches the plain model step by step, in memory."""
    machine = make_ledger_machine(rk.MemoryStorage)
    run_state_machine_as_test(machine, settings=_machine_settings(examples=250, steps=50))


def test_ledger_machine_on_sqlite(tmp_path: Path) -> None:
    """The ledger matches the plain model step by step, on an SQLite file per example."""
    made: list[Path] = []

    def make_storage() -> rk.Storage:
        made.append(tmp_path / f"ledger-{len(made)}.db")
        return SqlStorage.from_url(f"sqlite:///{made[-1]}")

    def dispose(storage: rk.Storage) -> None:
        storage.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{made[-1]}{suffix}").unlink(missing_ok=True)

    machine = make_ledger_machine(make_storage, dispose=dispose)
    run_state_machine_as_test(machine, settings=_machine_settings(examples=40, steps=30))


@pytest.mark.postgresql
def test_ledger_machine_on_postgres(loyalty_postgres: _Postgres) -> None:
    """The ledger matches the plain model step by step, on PostgreSQL (tables per example)."""
    prefixes: list[str] = []

    def make_storage() -> rk.Storage:
        prefixes.append(loyalty_postgres.new_prefix())
        return SqlStorage.from_url(loyalty_postgres.url, prefix=prefixes[-1])

    def dispose(storage: rk.Storage) -> None:
        storage.close()
        loyalty_postgres.drop(prefixes[-1])

    machine = make_ledger_machine(make_storage, dispose=dispose)
    run_state_machine_as_test(machine, settings=_machine_settings(examples=40, steps=30))
