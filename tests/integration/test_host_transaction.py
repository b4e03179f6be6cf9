"""A kit working inside a transaction its host owns (``rk.open(engine=connection)``).

SQLAlchemy Core has no after-COMMIT event, so the store follows the host's
transaction and savepoints and delivers hooks only once the host's COMMIT
has returned (defect 3): at the kit's next call or when the host calls
``kit.storage.deliver_committed()``. SQLite file and PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import relationkit as rk

POSTGRES_ENV = "RELATIONKIT_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A host engine: a SQLite file, or the PostgreSQL test server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'host.db'}"
    else:
        url = os.environ.get(POSTGRES_ENV) or ""
        if not url:
            pytest.skip(f"{POSTGRES_ENV} is not set")
    made = sa.create_engine(url)
    yield made
    made.dispose()


@pytest.fixture
def prefix(engine: sa.Engine) -> Iterator[str]:
    """A table prefix of the test's own, dropped afterwards."""
    chosen = f"h{uuid.uuid4().hex[:10]}_"
    yield chosen
    metadata = sa.MetaData()
    metadata.reflect(engine, only=lambda name, _meta: name.startswith(chosen))
    metadata.drop_all(engine)


def _kit(connection: sa.Connection, prefix: str) -> tuple[rk.RelationKit, list[str]]:
    connection.begin()
    kit = rk.open(engine=connection, table_prefix=prefix)
    connection.commit()
    seen: list[str] = []
    kit.hooks.on(rk.events.CustomerCreated, lambda e: seen.append(e.customer_id))
    return kit, seen


def _emails(engine: sa.Engine, prefix: str) -> list[str]:
    with engine.connect() as conn:
        found = conn.exec_driver_sql(f"SELECT email FROM {prefix}customers ORDER BY email")
        return list(found.scalars())


def test_hooks_wait_for_the_host_commit(engine: sa.Engine, prefix: str) -> None:
    """Nothing runs before the host's COMMIT; deliver_committed() runs it right after."""
    with engine.connect() as connection:
        kit, seen = _kit(connection, prefix)
        connection.begin()
        alice = kit.customers.create(email="alice@example.com")
        assert [] == seen
        connection.commit()
        assert [] == seen  # the COMMIT returned; the store has not been called since

        kit.storage.deliver_committed()  # type: ignore[attr-defined]

        assert [alice.id] == seen


def test_the_next_kit_call_delivers_what_the_host_committed(engine: sa.Engine, prefix: str) -> None:
    """Without deliver_committed(), the kit's next operation delivers first."""
    with engine.connect() as connection:
        kit, seen = _kit(connection, prefix)
        with connection.begin():
            alice = kit.customers.create(email="alice@example.com")
        assert [] == seen

        kit.customers.get(alice.id)

        assert [alice.id] == seen


def test_host_rollback_undoes_the_work_and_drops_the_events(engine: sa.Engine, prefix: str) -> None:
    """A host rollback takes the kit's writes with it, and no handler ever sees them."""
    with engine.connect() as connection:
        kit, seen = _kit(connection, prefix)
        connection.begin()
        kit.customers.create(email="alice@example.com")
        connection.rollback()
        connection.begin()
        bob = kit.customers.create(email="bob@example.com")
        connection.commit()
        kit.storage.deliver_committed()  # type: ignore[attr-defined]

        assert [bob.id] == seen
    assert ["bob@example.com"] == _emails(engine, prefix)


def test_a_raising_handler_does_not_abort_the_host_commit(engine: sa.Engine, prefix: str) -> None:
    """The handler's error surfaces after the COMMIT, which keeps the host's and the kit's rows."""
    with engine.connect() as connection:
        kit, _seen = _kit(connection, prefix)

        def fail(_event: rk.events.CustomerCreated) -> None:
            raise RuntimeError("handler failed")

        kit.hooks.on(rk.events.CustomerCreated, fail)
        connection.begin()
        kit.customers.create(email="alice@example.com")
        connection.commit()

        with pytest.raises(rk.errors.HookError) as error:
            kit.storage.deliver_committed()  # type: ignore[attr-defined]

    assert ["handler failed"] == [str(e) for e in error.value.exceptions]
    assert ["alice@example.com"] == _emails(engine, prefix)


def test_a_rolled_back_host_savepoint_drops_only_its_events(engine: sa.Engine, prefix: str) -> None:
    """A kit call in a host SAVEPOINT the host rolls back delivers nothing; the rest does."""
    with engine.connect() as connection:
        kit, seen = _kit(connection, prefix)
        connection.begin()
        alice = kit.customers.create(email="alice@example.com")
        savepoint = connection.begin_nested()
        kit.customers.create(email="bob@example.com")
        savepoint.rollback()
        kept = connection.begin_nested()
        carol = kit.customers.create(email="carol@example.com")
        kept.commit()
        connection.commit()
        kit.storage.deliver_committed()  # type: ignore[attr-defined]

        assert [alice.id, carol.id] == seen
    assert ["alice@example.com", "carol@example.com"] == _emails(engine, prefix)


@pytest.mark.postgresql
def test_a_failed_commit_delivers_nothing(engine: sa.Engine, prefix: str) -> None:
    """A deferred constraint broken by a host row fails the COMMIT: no hook runs, ever."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no deferred unique constraints")
    host = f"{prefix}host_rows"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {host} (k int, "
            f"CONSTRAINT {host}_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)"
        )
    try:
        with engine.connect() as connection:
            kit, seen = _kit(connection, prefix)
            connection.begin()
            connection.exec_driver_sql(f"INSERT INTO {host} VALUES (1), (1)")
            kit.customers.create(email="alice@example.com")
            with pytest.raises(sa.exc.IntegrityError):
                connection.commit()
            connection.rollback()  # SQLAlchemy wants it after a failed COMMIT
            kit.storage.deliver_committed()  # type: ignore[attr-defined]
            connection.begin()
            bob = kit.customers.create(email="bob@example.com")
            connection.commit()
            kit.storage.deliver_committed()  # type: ignore[attr-defined]

            assert [bob.id] == seen
        assert ["bob@example.com"] == _emails(engine, prefix)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {host}")
