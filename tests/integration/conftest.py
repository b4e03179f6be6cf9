"""Shared set-up of the integration tests: the PostgreSQL server and slow tests.

PostgreSQL runs when ``RELATIONKIT_TEST_POSTGRES_URL`` is set (CI always sets
it; ``scripts/postgres.sh start`` prints one) and is skipped otherwise.

Tests marked ``@pytest.mark.slow`` run only with ``RELATIONKIT_SLOW=1``; the
default run stays fast enough for every commit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import relationkit as rk

from ._races import kit_pair

POSTGRES_ENV = "RELATIONKIT_TEST_POSTGRES_URL"
SLOW_ENV = "RELATIONKIT_SLOW"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip slow tests of this directory unless ``RELATIONKIT_SLOW=1``."""
    if item.get_closest_marker("slow") is not None and os.environ.get(SLOW_ENV) != "1":
        pytest.skip(f"slow test: set {SLOW_ENV}=1 to run it")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's SQLAlchemy URL, or a skip when none is configured."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set (scripts/postgres.sh start prints one)")
    return url


@pytest.fixture
def kits(postgres_url: str) -> Iterator[tuple[rk.RelationKit, rk.RelationKit]]:
    """Two kits (two workers) over one PostgreSQL store under a fresh prefix, dropped after."""
    with kit_pair(postgres_url) as pair:
        yield pair
