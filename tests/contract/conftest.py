"""Backends for the contract suite: SQLite files and PostgreSQL with a table prefix per test.

PostgreSQL runs when ``RELATIONKIT_TEST_POSTGRES_URL`` is set (CI always sets
it; ``scripts/postgres.sh start`` prints one) and is skipped otherwise. Each
test, and each Hypothesis example, gets tables of its own under a random
prefix, dropped afterwards, so pytest-xdist workers never share a table.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

# The suite's asserts live in the package, not in a test module: have pytest
# rewrite them too, so that a failure shows both sides.
pytest.register_assert_rewrite(
    "relationkit.testing.base",
    "relationkit.testing.port",
    "relationkit.testing.behaviour",
    "relationkit.testing.loyalty",
    "relationkit.testing.machines",
    "relationkit.testing.analytics",
    "relationkit.testing.scores",
)

POSTGRES_ENV = "RELATIONKIT_TEST_POSTGRES_URL"


class PrefixedTables:
    """Hands out table prefixes no one else uses, and drops their tables."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._live: list[str] = []

    def new(self) -> str:
        """Return a fresh prefix: short, lower-case, valid on every dialect."""
        prefix = f"t{uuid.uuid4().hex[:12]}_"
        self._live.append(prefix)
        return prefix

    def drop(self, prefix: str) -> None:
        """Drop every table whose name starts with ``prefix`` (children first)."""
        metadata = sa.MetaData()
        metadata.reflect(self._engine, only=lambda name, _metadata: name.startswith(prefix))
        metadata.drop_all(self._engine)
        if prefix in self._live:
            self._live.remove(prefix)

    def drop_all(self) -> None:
        """Drop the tables of every prefix handed out and not dropped yet."""
        for prefix in list(self._live):
            self.drop(prefix)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's SQLAlchemy URL, or a skip when none is configured."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set (scripts/postgres.sh start prints one)")
    return url


@pytest.fixture(scope="session")
def postgres_admin(postgres_url: str) -> Iterator[sa.Engine]:
    """An engine for housekeeping (dropping tables), apart from the stores' own."""
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def _postgres_tables(postgres_admin: sa.Engine) -> Iterator[PrefixedTables]:
    tables = PrefixedTables(postgres_admin)
    yield tables
    tables.drop_all()


@pytest.fixture
def new_postgres_prefix(_postgres_tables: PrefixedTables) -> Callable[[], str]:
    """Return fresh table prefixes; their tables are dropped after the test."""
    return _postgres_tables.new


@pytest.fixture
def drop_postgres_tables(_postgres_tables: PrefixedTables) -> Callable[[str], None]:
    """Drop the tables of a prefix now rather than after the test."""
    return _postgres_tables.drop
