"""The direct path of the SQL backend gives what ``Connection.execute`` gives.

Each comparison runs the same statement on one connection through two
executors: one whose :class:`DirectStatements` has prepared it (so it runs
on the DB-API cursor) and one without (SQLAlchemy's path). Both must return
the same rows (values, their types, names), rowcounts and errors; a listener,
SQL logging or a host's ``schema_translate_map`` must be honoured; a
disconnect must invalidate the connection.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from relationkit.storage.sql.queries.inserts import BulkInsert

from ._direct_support import T0, paths, same_rows, typed, values_table
from ._direct_support import backend as backend  # the fixture
from .test_sql_store import Backend, account, customer, write

# -- rows and rowcounts -----------------------------------------------------------------


def test_store_statements_give_identical_rows(backend: Backend) -> None:
    """The store's own SELECTs: same rows, value types and field names on both paths."""
    store = backend.open()
    write(store, lambda u: u.accounts.add_many([account(1), account(2)]))
    people = [customer(1, "acc_0001", email="a@example.com"), customer(2, "acc_0001")]
    write(store, lambda u: u.customers.add_many(people))
    s = store._statements
    with paths(store.engine) as (fast, slow, direct):
        found = same_rows(fast, slow, s.account, {"id": "acc_0001"})
        assert "acc_0001" == found[0].id
        same_rows(fast, slow, s.customers_of_account, {"account_id": "acc_0001"})
        same_rows(fast, slow, s.customer_by_email, {"email_key": "a@example.com"})
        same_rows(fast, slow, s.account_ids_after, {"after": "acc_0000", "limit": 5})
        same_rows(fast, slow, s.count_rows["customers"])
        same_rows(fast, slow, s.account, {"id": "missing"})
        assert [False, True] * 5 + [True, True] == direct.handled  # s.account: prepared
        assert 2 == fast.scalar(s.count_rows["customers"])


def test_writes_give_identical_rowcounts(backend: Backend) -> None:
    """UPDATE (one set, executemany, no match), upsert and DELETE: the same rowcounts."""
    table = values_table(backend)
    dialect = backend.engine.dialect.name
    insert: Any = (pg_dialect if dialect == "postgresql" else sqlite_dialect).insert(table)
    upsert = insert.on_conflict_do_update(
        index_elements=[table.c.id], set_={"text": insert.excluded.text}
    )
    update = table.update().where(table.c.id == sa.bindparam("b_id")).values(text=sa.bindparam("t"))
    delete = table.delete().where(table.c.big == sa.bindparam("big"))
    rows = [{"id": i, "text": f"v{i}", "big": i % 2} for i in range(1, 5)]
    counts = []
    with paths(backend.engine) as (fast, slow, direct):
        for executor in (fast, fast, slow):
            counts.append(
                [
                    executor.write(upsert, rows[0]),
                    executor.write(upsert, rows[1:]),
                    executor.write(update, {"b_id": 1, "t": "x"}),
                    executor.write(update, [{"b_id": 1, "t": "y"}, {"b_id": 2, "t": "y"}]),
                    executor.write(update, {"b_id": 99, "t": "z"}),
                    executor.write(delete, {"big": 1}),
                    executor.write(delete, [{"big": 0}, {"big": 7}]),
                ]
            )
        # The first run: each statement and shape seen once (the UPDATE of one
        # row is prepared at its second run); then every call runs directly.
        assert [False] * 4 + [True] + [False] * 2 + [True] * 7 == direct.handled
    assert counts[2] == counts[1] == counts[0]
    # An INSERT's rowcount is the driver's after SQLAlchemy closed the cursor.
    inserted = [1, 3] if dialect == "sqlite" else [-1, -1]
    assert [*inserted, 1, 2, 0, 2, 2] == counts[1]


def test_returning_gives_identical_rows(backend: Backend) -> None:
    """INSERT and UPDATE ... RETURNING read through rows(): the same rows on both paths."""
    table = values_table(backend)
    insert = table.insert().returning(table.c.id, table.c.at, table.c.doc)
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("b_id"))
        .values(at=sa.bindparam("b_at", type_=table.c.at.type))
        .returning(table.c.id, table.c.at)
    )
    with paths(backend.engine) as (fast, slow, direct):
        made = [
            executor.rows(insert, {"id": i, "at": T0.add(days=i), "doc": {"n": i}})
            for i, executor in enumerate((fast, fast, slow))
        ]
        assert [(i, T0.add(days=i), {"n": i}) for i in range(3)] == [tuple(m[0]) for m in made]
        assert [type(v) for v in made[2][0]] == [type(v) for v in made[1][0]]
        assert made[2][0]._fields == made[1][0]._fields
        fast.rows(update, {"b_id": 0, "b_at": T0})
        same_rows(fast, slow, update, {"b_id": 1, "b_at": T0})
        assert [False, True, False, True, True] == direct.handled


def test_bulk_inserts_give_identical_rows(backend: Backend) -> None:
    """BulkInsert (one row and an executemany) stores what SQLAlchemy's path stores."""
    table = values_table(backend)
    bulk = BulkInsert(table)

    def rows(start: int, n: int) -> list[dict[str, Any]]:
        return [
            {c.key: None for c in table.columns}
            | {"id": i, "at": T0.add(seconds=i % 100), "doc": [i % 100], "rate": Decimal("0.25")}
            for i in range(start, start + n)
        ]

    with paths(backend.engine) as (fast, slow, direct):
        fast.insert(bulk, rows(0, 1))  # seen once: SQLAlchemy's path
        fast.insert(bulk, rows(10, 1))
        fast.insert(bulk, rows(20, 3))
        slow.insert(bulk, rows(110, 1))
        slow.insert(bulk, rows(120, 3))
        stored = {r.id: tuple(r)[1:] for r in slow.rows(sa.select(table))}
        assert [False, True, True] == direct.handled
    reference = [stored[i] for i in (110, 120, 121, 122)]
    assert typed(reference) == typed([stored[i] for i in (10, 20, 21, 22)])
    assert (T0.add(seconds=20), [20]) == (stored[120][2], stored[120][7])


# -- every column type, random values ---------------------------------------------------

_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30
)
_INSTANTS = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),
    max_value=dt.datetime(2200, 1, 1),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30))]),
)
_VALUES = st.fixed_dictionaries(
    {
        "k": st.none() | st.text("abcdefghij0123456789_", min_size=1, max_size=40),
        "at": st.none() | _INSTANTS,
        "naive": st.none() | st.datetimes(min_value=dt.datetime(1900, 1, 1)),
        "big": st.none() | st.integers(-(2**63), 2**63 - 1),
        "flag": st.none() | st.booleans(),
        "text": st.none() | _TEXT,
        "doc": st.none() | st.dictionaries(_TEXT, st.integers(-(2**31), 2**31) | _TEXT, max_size=3),
        "rate": st.none()
        | st.decimals(
            allow_nan=False, allow_infinity=False, places=6, max_value=10**6, min_value=-(10**6)
        ),
        "amount": st.none()
        | st.decimals(
            allow_nan=False, allow_infinity=False, places=4, max_value=10**9, min_value=-(10**9)
        ),
        "ratio": st.none() | st.floats(allow_nan=False, allow_infinity=False, width=32),
    }
)


def test_every_column_type_round_trips_identically(backend: Backend) -> None:
    """Random values in every column: stored and read back alike on both paths."""
    table = values_table(backend)
    insert = table.insert()
    select = sa.select(table).where(table.c.id == sa.bindparam("id"))
    numbers = iter(range(0, 10**6, 3))

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(values=_VALUES)
    def check(values: dict[str, Any]) -> None:
        n = next(numbers)
        with paths(backend.engine) as (fast, slow, direct):
            fast.write(insert, {**values, "k": None, "id": n + 2})  # seen once
            fast.write(insert, {**values, "id": n})
            slow.write(insert, {**values, "k": None, "id": n + 1})
            fast.rows(select, {"id": n + 2})  # seen once
            by_fast = [fast.rows(select, {"id": i}) for i in (n, n + 1)]
            by_slow = [slow.rows(select, {"id": i}) for i in (n, n + 1)]
            assert [False, True, False, True, True] == direct.handled
        assert [typed(rows) for rows in by_slow] == [typed(rows) for rows in by_fast]
        # Written by the direct path or by SQLAlchemy's: the same stored values.
        assert typed([by_slow[0][0][3:]]) == typed([by_slow[1][0][3:]])

    check()


# -- errors -----------------------------------------------------------------------------
