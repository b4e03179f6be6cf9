"""Shared set-up of the integration tests: the PostgreSQL server and slow tests.

PostgreSQL runs when ``RELATIONKIT_TEST_POSTGRES_URL`` is set (CI always sets
it; ``scripts/postgres.sh start`` prints one) and is skipped otherwise.

Tests marked ``@pytest.mark.slow`` run only with ``RELATIONKIT_SLOW=1``; the
default run stays fast enough for every commit.
"""

from __future__ import annotations

import os

import pytest

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
