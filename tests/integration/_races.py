"""Helpers of the PostgreSQL race tests: two kits over one store, and work run at once."""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import pendulum
import sqlalchemy as sa

import relationkit as rk

__all__ = ["T0", "kit_pair", "on_each", "together"]

T0 = pendulum.datetime(2026, 3, 1, 10, tz="UTC")
"""The instant the race tests' kits are frozen at."""

R = TypeVar("R")


@contextmanager
def kit_pair(postgres_url: str, **options: Any) -> Iterator[tuple[rk.RelationKit, rk.RelationKit]]:
    """Open two kits (two workers) over one store under a fresh prefix; drop its tables after.

    Args:
        postgres_url: the server.
        options: more keyword arguments of :func:`relationkit.open` (``loyalty``, say).
    """
    prefix = f"r{uuid.uuid4().hex[:10]}_"
    first = rk.open(postgres_url, table_prefix=prefix, clock=rk.FrozenClock(T0), **options)
    second = rk.open(postgres_url, table_prefix=prefix, clock=rk.FrozenClock(T0), **options)
    try:
        yield first, second
    finally:
        first.close()
        second.close()
        engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
        metadata = sa.MetaData()
        metadata.reflect(engine, only=lambda table, _m: table.startswith(prefix))
        metadata.drop_all(engine)
        engine.dispose()


def together(*work: Callable[[], R]) -> list[R]:
    """Run each callable in its own thread, released by one barrier; return their results."""
    barrier = threading.Barrier(len(work))

    def run(job: Callable[[], R]) -> R:
        barrier.wait(30)
        return job()

    with ThreadPoolExecutor(len(work)) as pool:
        futures = [pool.submit(run, job) for job in work]
        return [f.result(timeout=60) for f in futures]


def on_each(kits: Sequence[rk.RelationKit], work: Callable[[rk.RelationKit], R]) -> list[R]:
    """Run ``work`` on every kit at once (one thread each); return the results in kit order."""
    return together(*(functools.partial(work, kit) for kit in kits))
