"""Reads that scale out: a PostgreSQL primary for writes, a streaming standby for reads.

:class:`ReplicatedStorage` wraps the primary's :class:`SqlStorage` and a
second one on a hot standby (``pg_basebackup -R``, streaming replication) of
that primary. ``rk.open(url, replica=replica_url)`` builds one. Routing:

- write transactions, and everything inside ``kit.transaction()`` (reads
  included), run on the primary;
- read-only work outside a transaction runs on the replica:
  all of it with ``reads="all"`` (the default), only analytics (work the kit
  marks as such: scores, rankings) with ``reads="analytics"``;
- **read your writes**: after a thread commits a write, its reads stay on the
  primary until the replica has replayed that commit (the primary's WAL
  position after the commit, against ``pg_last_wal_replay_lsn()``);
- with ``max_lag`` seconds, a read also goes to the primary while the
  replica's measured lag is larger (or unknown);
- ``with storage.primary():`` sends this thread's reads in the block to the
  primary, whatever the replica's state.

A caller may otherwise read data as old as the replica's lag: another
thread's or process's latest writes may be missing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Literal, get_args

import attrs
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from relationkit.errors import SchemaMismatch, StorageError, ValidationError
from relationkit.storage.sql.schema.tables import new_metadata
from relationkit.storage.sql.store import SqlStorage
from relationkit.storage.sql.unit_of_work import SqlUnitOfWork

__all__ = ["ReplicaReads", "ReplicaStatus", "ReplicatedStorage", "check_replica_options"]

ReplicaReads = Literal["all", "analytics"]
"""Which read-only work the replica serves: every read, or analytics only."""

_CATCH_UP_SECONDS = 5.0
"""At open, how long to wait for the replica to replay tables the primary just created."""

_STATUS = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
    "CASE WHEN pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn() THEN 0.0 "
    "ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 END"
)
_POSITION = text("SELECT pg_current_wal_lsn()::text")
_IDENTITY = text("SELECT system_identifier::text FROM pg_control_system()")


@attrs.frozen(kw_only=True)
class ReplicaStatus:
    """Where the replica stands, as it reports it.

    Attributes:
        standby: the server is in recovery (a standby); False once promoted.
        replayed: the WAL position it has replayed (an integer LSN), or None.
        lag: seconds behind: 0.0 when it has replayed all the WAL it
            received, else the age of the last transaction it replayed;
            None when it cannot tell.
    """

    standby: bool
    replayed: int | None
    lag: float | None


def check_replica_options(
    replica: object,
    *,
    url: str | None,
    engine: Engine | Connection | None,
    reads: object,
    max_lag: object,
) -> None:
    """Refuse a replica the primary cannot have, before anything is opened.

    Args:
        replica: the replica's URL or ``Engine``.
        url: the primary's URL, if given as one.
        engine: the primary's engine, if given as one.
        reads: the routing policy (:data:`ReplicaReads`).
        max_lag: seconds of lag tolerated, or None.

    Raises:
        ValidationError: the replica or the primary is not PostgreSQL, the
            primary is not a URL or an ``Engine``, or an option is out of range.
    """
    if isinstance(replica, str):
        if _backend(replica, "replica") != "postgresql":
            raise ValidationError("replica", "read replicas are PostgreSQL standbys only")
    elif isinstance(replica, Engine):
        if replica.dialect.name != "postgresql":
            raise ValidationError("replica", "read replicas are PostgreSQL standbys only")
    else:
        raise ValidationError("replica", "must be a PostgreSQL URL or a SQLAlchemy Engine")
    if url is not None:
        primary = _backend(url, "url")
    elif isinstance(engine, Engine):
        primary = engine.dialect.name
    elif engine is not None:
        raise ValidationError(
            "engine", "a replica needs the primary as an Engine or a URL, not a Connection"
        )
    else:
        raise ValidationError("replica", "a replica needs a PostgreSQL primary (url= or engine=)")
    if primary != "postgresql":
        raise ValidationError("replica", f"needs a PostgreSQL primary, not {primary}")
    if reads not in get_args(ReplicaReads):
        raise ValidationError("replica_reads", "must be 'all' or 'analytics'")
    if max_lag is not None and (
        isinstance(max_lag, bool) or not isinstance(max_lag, int | float) or not max_lag >= 0
    ):
        raise ValidationError("max_replica_lag", "must be a number of seconds >= 0, or None")


class ReplicatedStorage:
    """A storage on a PostgreSQL primary whose read-only work may run on a standby.

    Meets :class:`relationkit.Storage`: ``transaction(write=True)`` runs on
    the primary; ``transaction(write=False)`` and
    :meth:`analytics_transaction` run on the replica unless the rules of the
    module (policy, read-your-writes, ``max_lag``, :meth:`primary`) send
    them to the primary. Hooks and after-commit callbacks follow the primary.

    Opening checks that the replica is a standby (``pg_is_in_recovery()``)
    of this primary (the same ``system_identifier``, when the server lets
    a role read it) and that it holds the primary's tables at this
    version's schema, read-only; tables the primary has just created are
    waited for up to a few seconds.

    Args:
        primary: the primary's store (it must run on an ``Engine``).
        replica: the standby's URL, or an ``Engine`` the host owns.
        reads: ``"all"`` or ``"analytics"`` (see :data:`ReplicaReads`).
        max_lag: seconds; reads go to the primary while the replica is
            further behind or cannot say. None: no bound.

    Raises:
        ValidationError: the replica is not a PostgreSQL standby of the primary.
        SchemaMismatch: the replica's tables are not this version's.
        StorageError: the replica cannot be reached, or lacks the tables.
    """

    def __init__(
        self,
        primary: SqlStorage,
        replica: str | Engine,
        *,
        reads: ReplicaReads = "all",
        max_lag: float | None = None,
    ) -> None:
        check_replica_options(
            replica, url=None, engine=primary.engine, reads=reads, max_lag=max_lag
        )
        if primary.connection is not None:
            raise ValidationError(
                "engine", "a replica needs the primary as an Engine or a URL, not a Connection"
            )
        self._primary = primary
        self._reads = reads
        self._max_lag = None if max_lag is None else float(max_lag)
        self._local = threading.local()
        owns = isinstance(replica, str)
        engine = _engine(replica) if isinstance(replica, str) else replica
        try:
            self._engine = engine
            self._check_standby()
            self._replica = self._open_replica(owns)
        except BaseException:
            if owns:
                engine.dispose()
            raise

    # -- routing ---------------------------------------------------------------------

    def transaction(self, *, write: bool) -> AbstractContextManager[SqlUnitOfWork]:
        """Open a transaction: writes on the primary, reads where the rules say.

        Raises:
            StorageError: the store is closed, or the database failed.
            TransientStorageError: busy, deadlock or a lost connection.
        """
        if write:
            return self._write()
        if self._reads == "analytics":
            return self._primary.transaction(write=False)
        return self._read()

    def analytics_transaction(self) -> AbstractContextManager[SqlUnitOfWork]:
        """Open a read-only transaction for analytics: on the replica under either policy."""
        return self._read()

    @contextmanager
    def primary(self) -> Iterator[None]:
        """Send this thread's reads inside the block to the primary (nests)."""
        self._local.forced = getattr(self._local, "forced", 0) + 1
        try:
            yield
        finally:
            self._local.forced -= 1

    def status(self) -> ReplicaStatus:
        """Return where the replica stands now (one query on the replica).

        Raises:
            StorageError: the replica cannot be reached.
        """
        try:
            with self._engine.connect() as connection:
                standby, replayed, lag = connection.execute(_STATUS).one()
        except SQLAlchemyError as e:
            raise StorageError("cannot read the replica's replay position") from e
        return ReplicaStatus(
            standby=bool(standby),
            replayed=None if replayed is None else _lsn(replayed),
            lag=None if lag is None or not standby else max(0.0, float(lag)),
        )

    def _write(self) -> AbstractContextManager[SqlUnitOfWork]:
        @contextmanager
        def write() -> Iterator[SqlUnitOfWork]:
            with self._primary.transaction(write=True) as uow:
                yield uow
            # After the commit: this thread must not read from a replica older than it.
            self._local.needs = self._position()

        return write()

    def _read(self) -> AbstractContextManager[SqlUnitOfWork]:
        store = self._replica if self._replica_may_serve() else self._primary
        return store.transaction(write=False)

    def _replica_may_serve(self) -> bool:
        if getattr(self._local, "forced", 0):
            return False
        needs: int | None = getattr(self._local, "needs", None)
        if needs == _UNKNOWN:
            self._local.needs = needs = self._position()
        if needs is None and self._max_lag is None:
            return True
        status = self.status()
        if not status.standby or status.replayed is None:
            return False
        if needs is not None:
            if status.replayed < needs:
                return False
            # Replayed: later reads need not ask again until this thread's next write.
            self._local.needs = None
        return self._max_lag is None or (status.lag is not None and status.lag <= self._max_lag)

    def _position(self) -> int:
        """Return the primary's WAL position now, or ``_UNKNOWN`` if it cannot say."""
        try:
            with self._primary.engine.connect() as connection:
                return _lsn(connection.execute(_POSITION).scalar_one())
        except SQLAlchemyError:
            # The commit succeeded; failing now would make the caller retry it.
            # Ask again at the next read: until then the thread reads the primary.
            return _UNKNOWN

    # -- opening ---------------------------------------------------------------------

    def _check_standby(self) -> None:
        if not self.status().standby:
            raise ValidationError(
                "replica", "is not a standby (pg_is_in_recovery() is false on that server)"
            )
        ours, theirs = _identity(self._primary.engine), _identity(self._engine)
        if ours is not None and theirs is not None and ours != theirs:
            raise ValidationError("replica", "is a standby of another server than the primary")

    def _open_replica(self, owns: bool) -> SqlStorage:
        """Open the replica's store, checking its tables read-only (``create=False``)."""
        primary = self._primary

        def check() -> SqlStorage:
            return SqlStorage(
                self._engine,
                metadata=new_metadata(primary.metadata.schema),
                prefix=primary.tables.prefix,
                create=False,
                owns_engine=owns,
            )

        try:
            try:
                return check()
            except StorageError:
                # Perhaps the primary has just created (or changed) the tables and
                # the replica has not replayed that yet: wait for it, then look again.
                target = self._position()
                if target == _UNKNOWN or not self._wait_for(target):
                    raise
            return check()
        except SchemaMismatch:
            raise
        except StorageError as e:
            raise StorageError(f"the replica cannot serve this store: {e}") from e

    def _wait_for(self, target: int) -> bool:
        """Wait until the replica has replayed ``target``; False after a few seconds."""
        deadline = time.monotonic() + _CATCH_UP_SECONDS
        while True:
            replayed = self.status().replayed
            if replayed is not None and replayed >= target:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    # -- the rest of the storage port ---------------------------------------------

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the primary's transaction that just ended is durable."""
        self._primary.after_commit(callback)

    def close(self) -> None:
        """Close the replica's store, then the primary's. Idempotent."""
        self._replica.close()
        self._primary.close()

    def __enter__(self) -> ReplicatedStorage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReplicatedStorage(reads={self._reads!r}, max_lag={self._max_lag!r})"


_UNKNOWN = 1 << 64
"""A position no replica reaches: read the primary (until the thread's next write)."""


def _lsn(value: str) -> int:
    high, _, low = value.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def _backend(url: str, field: str) -> str:
    try:
        return make_url(url).get_backend_name()
    except Exception:
        raise ValidationError(field, "is not a database URL") from None


def _engine(url: str) -> Engine:
    try:
        return create_engine(url, hide_parameters=True)
    except Exception as e:
        raise StorageError("cannot create an engine for the replica") from e


def _identity(engine: Engine) -> str | None:
    """Return the cluster's system identifier, or None if the role may not read it."""
    try:
        with engine.connect() as connection:
            value: str | None = connection.execute(_IDENTITY).scalar_one_or_none()
            return value
    except SQLAlchemyError:
        return None
