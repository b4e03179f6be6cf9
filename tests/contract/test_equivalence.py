"""Random operation sequences give the same results on memory and on each SQL backend.

Settings come from ``RELATIONKIT_HYPOTHESIS_PROFILE``: ``ci`` (the default,
sized so this directory runs in a few minutes on two cores), ``dev`` (quick)
or ``thorough`` (for a nightly run or before a release).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

import relationkit as rk
from relationkit.storage.sql import SqlStorage
from relationkit.testing.state_machine import make_backend_equivalence_machine

_BASE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
_PROFILES = {
    "dev": settings(_BASE, max_examples=8, stateful_step_count=20),
    "ci": settings(_BASE, max_examples=25, stateful_step_count=30),
    "thorough": settings(_BASE, max_examples=200, stateful_step_count=50),
}
_PROFILE = os.environ.get("RELATIONKIT_HYPOTHESIS_PROFILE", "ci")
if _PROFILE not in _PROFILES:
    raise ValueError(f"RELATIONKIT_HYPOTHESIS_PROFILE must be one of {sorted(_PROFILES)}")
SETTINGS = _PROFILES[_PROFILE]


def _run(make_storage: Callable[[], rk.Storage], dispose: Callable[[rk.Storage], None]) -> None:
    machine = make_backend_equivalence_machine(make_storage, dispose=dispose)
    run_state_machine_as_test(machine, settings=SETTINGS)


def test_memory_matches_memory() -> None:
    """The machine itself is sound: two memory stores always agree."""
    run_state_machine_as_test(
        make_backend_equivalence_machine(rk.MemoryStorage),
        settings=settings(SETTINGS, max_examples=min(10, SETTINGS.max_examples)),
    )


def test_sqlite_matches_memory(tmp_path: Path) -> None:
    """An SQLite file gives the same results, errors, events and views as memory."""
    files: dict[int, Path] = {}

    def make() -> rk.Storage:
        path = tmp_path / f"crm-{len(files)}.db"
        storage = SqlStorage.from_url(f"sqlite:///{path}")
        files[id(storage)] = path
        return storage

    def dispose(storage: rk.Storage) -> None:
        path = files.pop(id(storage))
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()

    _run(make, dispose)


@pytest.mark.postgresql
def test_postgres_matches_memory(
    postgres_url: str,
    new_postgres_prefix: Callable[[], str],
    drop_postgres_tables: Callable[[str], None],
) -> None:
    """PostgreSQL gives the same results, errors, events and views as memory."""
    engine = sa.create_engine(postgres_url, pool_size=2)
    prefixes: dict[int, str] = {}

    def make() -> rk.Storage:
        prefix = new_postgres_prefix()
        storage = SqlStorage(engine, prefix=prefix)
        prefixes[id(storage)] = prefix
        return storage

    def dispose(storage: rk.Storage) -> None:
        drop_postgres_tables(prefixes.pop(id(storage)))

    try:
        _run(make, dispose)
    finally:
        engine.dispose()
