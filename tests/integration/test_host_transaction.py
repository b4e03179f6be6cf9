"""A kit working inside a transaction its host owns (``rk.open(engine=connection)``)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

import relationkit as rk


def _kit(connection: sa.Connection) -> tuple[rk.RelationKit, list[rk.events.Event]]:
    connection.begin()
    kit = rk.open(engine=connection)
    connection.commit()
    seen: list[rk.events.Event] = []
    kit.hooks.on(rk.events.CustomerCreated, seen.append)
    return kit, seen


def test_hooks_wait_for_the_host_commit(tmp_path: Path) -> None:
    """Handlers run when the host commits its transaction, not when the kit call returns."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'host.db'}")
    with engine.connect() as connection:
        kit, seen = _kit(connection)
        connection.begin()
        alice = kit.customers.create(email="alice@example.com")
        assert [] == seen
        connection.commit()

        expected = [alice.id]
        assert expected == [e.customer_id for e in seen if isinstance(e, rk.events.CustomerCreated)]
    engine.dispose()


def test_host_rollback_undoes_the_work_and_drops_the_events(tmp_path: Path) -> None:
    """A host rollback takes the kit's writes with it, and no handler ever sees them."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'host.db'}")
    with engine.connect() as connection:
        kit, seen = _kit(connection)
        connection.begin()
        kit.customers.create(email="alice@example.com")
        connection.rollback()

        assert [] == seen
        assert 0 == kit.customers.count()
        connection.begin()
        kit.customers.create(email="bob@example.com")
        connection.commit()
        expected = 1
        assert expected == len(seen)
    engine.dispose()
