"""What the benchmark scripts share: backends, raw connections, timing and tables.

Not a benchmark itself. The scripts in this directory import it as a sibling
module (a script's own directory is the first entry of ``sys.path``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pendulum
import psycopg
import sqlalchemy as sa

import relationkit as rk

__all__ = [
    "BACKENDS",
    "BUSY_TIMEOUT_MS",
    "POSTGRES_ENV",
    "Backend",
    "Check",
    "StatementCounter",
    "Timer",
    "add_common_options",
    "drop_prefixed",
    "fmt_int",
    "fmt_us",
    "header_line",
    "kit_engine",
    "max_rss_bytes",
    "median_per_op",
    "open_kit",
    "peak_rss_bytes",
    "postgres_url",
    "print_table",
    "psycopg_connect",
    "reset_peak_rss",
    "rss_bytes",
    "run_child",
    "selected_backends",
    "sqlite_connect",
    "utc_now_text",
]

BUSY_TIMEOUT_MS = 5000
POSTGRES_ENV = "RELATIONKIT_TEST_POSTGRES_URL"
"""The environment variable naming a PostgreSQL URL when ``--postgres`` is not given."""

BACKENDS = ("memory", "sqlite", "postgres")

Timer = Callable[[], float]
"""``time.perf_counter`` (wall clock) or ``time.process_time`` (this process's CPU)."""

_SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
)


# -- command line -------------------------------------------------------------


class SequentialIds:
    """Sequential ids as long as relationkit's (``acc_`` + 26 characters), for baselines."""

    def __init__(self) -> None:
        self.n = 0

    def new(self, prefix: str) -> str:
        """Return the next id with this prefix."""
        self.n += 1
        return f"{prefix}_{self.n:026d}"


def add_common_options(parser: argparse.ArgumentParser, *, backends: Sequence[str]) -> None:
    """Add ``--backends``, ``--postgres``, ``--no-postgres``, ``--cpu`` and ``--check``.

    Args:
        parser: the script's parser.
        backends: the backends this script can run on, in table order.
    """
    parser.add_argument(
        "--backends",
        default=",".join(b for b in backends if b != "postgres"),
        help=f"comma-separated, of {', '.join(backends)} (default: all but postgres; "
        "postgres is added when a URL is known)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help=f"also run on this PostgreSQL URL (default: ${POSTGRES_ENV} if set)",
    )
    parser.add_argument(
        "--no-postgres", action="store_true", help=f"ignore ${POSTGRES_ENV} and --postgres"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time this process's CPU instead of the wall clock (steadier on a busy machine)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")


def postgres_url(args: argparse.Namespace) -> str | None:
    """Return the PostgreSQL URL to use: ``--postgres``, else the environment, else None."""
    if args.no_postgres:
        return None
    url: str | None = args.postgres or os.environ.get(POSTGRES_ENV) or None
    return url


def selected_backends(
    args: argparse.Namespace, parser: argparse.ArgumentParser, allowed: Sequence[str]
) -> list[str]:
    """Return the backends to run, in ``allowed`` order; postgres when a URL is known."""
    chosen = {name.strip() for name in args.backends.split(",") if name.strip()}
    unknown = chosen - set(allowed)
    if unknown:
        parser.error(f"--backends: unknown {', '.join(sorted(unknown))} (of {', '.join(allowed)})")
    url = postgres_url(args)
    if "postgres" in chosen and url is None:
        parser.error(f"--backends postgres needs --postgres URL or ${POSTGRES_ENV}")
    if url is not None and "postgres" in allowed:
        chosen.add("postgres")
    return [name for name in allowed if name in chosen]


# -- kits and raw connections ---------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """Where a kit is opened: ``memory``, a fresh SQLite file, or PostgreSQL."""

    name: str
    workdir: Path
    postgres: str | None = None

    @property
    def label(self) -> str:
        """The name the tables print."""
        return {"memory": "memory", "sqlite": "SQLite file", "postgres": "PostgreSQL"}[self.name]


def drop_prefixed(engine: sa.Engine, prefix: str) -> None:
    """Drop every table whose name starts with ``prefix``."""
    metadata = sa.MetaData()
    metadata.reflect(engine, only=lambda name, _metadata: name.startswith(prefix))
    metadata.drop_all(engine)


@contextmanager
def open_kit(
    backend: Backend,
    *,
    clock: rk.Clock,
    loyalty: rk.LoyaltyProgram | None = None,
) -> Iterator[rk.RelationKit]:
    """Open a kit on a fresh store of ``backend``; remove the store afterwards.

    SQLite gets a new file in the backend's directory; PostgreSQL a fresh
    table prefix, whose tables are dropped on exit.
    """
    tag = uuid.uuid4().hex[:8]
    if backend.name == "memory":
        with rk.open(clock=clock, loyalty=loyalty) as kit:
            yield kit
    elif backend.name == "sqlite":
        path = backend.workdir / f"kit-{tag}.db"
        try:
            with rk.open(f"sqlite:///{path.as_posix()}", clock=clock, loyalty=loyalty) as kit:
                yield kit
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif backend.name == "postgres" and backend.postgres is not None:
        engine = sa.create_engine(backend.postgres)
        prefix = f"b{tag}_"
        try:
            with rk.open(engine=engine, table_prefix=prefix, clock=clock, loyalty=loyalty) as kit:
                yield kit
        finally:
            drop_prefixed(engine, prefix)
            engine.dispose()
    else:
        raise ValueError(f"unknown backend {backend.name!r}")


def kit_engine(kit: rk.RelationKit) -> sa.Engine | None:
    """Return the SQLAlchemy engine under ``kit``, or None (memory, plugins)."""
    engine = getattr(kit.storage, "_engine", None)
    return engine if isinstance(engine, sa.Engine) else None


def sqlite_connect(path: Path) -> sqlite3.Connection:
    """Open ``path`` with ``sqlite3`` in autocommit mode and relationkit's pragmas."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in _SQLITE_PRAGMAS:
        connection.execute(pragma)
    return connection


def psycopg_connect(url: str) -> psycopg.Connection[Any]:
    """Open a ``psycopg`` connection (autocommit: the caller says BEGIN) for a SQLAlchemy URL."""
    parsed = sa.make_url(url).set(drivername="postgresql")
    return psycopg.connect(parsed.render_as_string(hide_password=False), autocommit=True)


# -- statements -------------------------------------------------------------------

_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass
class StatementCounter:
    """The SQL statements an engine sent while :meth:`counting` was active.

    ``executemany`` counts once. Transaction control (``BEGIN``, savepoints)
    is kept apart: SQLAlchemy sends ``COMMIT`` through the driver, unseen.
    """

    engine: sa.Engine
    statements: list[str] = field(default_factory=list)
    control: list[str] = field(default_factory=list)

    def _seen(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        target = self.control if _CONTROL.match(statement) else self.statements
        target.append(" ".join(statement.split()))

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        """Record statements inside the block; the lists start empty."""
        self.statements.clear()
        self.control.clear()
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        try:
            yield self
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", self._seen)


# -- timing ---------------------------------------------------------------------------


def median_per_op(n: int, step: Callable[[int], object], timer: Timer, *, warmup: int = 5) -> float:
    """Run ``step(0) .. step(warmup + n - 1)``; return the median seconds of the last ``n``."""
    for i in range(warmup):
        step(i)
    times: list[float] = []
    for i in range(warmup, warmup + n):
        start = timer()
        step(i)
        times.append(timer() - start)
    return statistics.median(times)


# -- memory, in a child process -------------------------------------------------------


def max_rss_bytes() -> int:
    """Return the process's peak resident set size so far."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS says bytes, Linux KiB


def rss_bytes() -> int:
    """Return the current resident set size (the peak so far where it is unknown)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:  # not Linux: the growth of the peak is a lower bound
        return max_rss_bytes()


def reset_peak_rss() -> bool:
    """Make the peak resident set start again from the current one (Linux); True if it did.

    Without it, a peak reached before the measured work (imports, opening
    the kit) would be counted as the work's.
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """Return the peak resident set since :func:`reset_peak_rss` (else since the start)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return max_rss_bytes()


def run_child(command: Sequence[str], *, timeout: float | None = None) -> dict[str, Any]:
    """Run ``command`` (a child interpreter) and return the JSON of its last output line."""
    done = subprocess.run(
        list(command), capture_output=True, text=True, check=False, timeout=timeout
    )
    if done.returncode != 0:
        raise SystemExit(f"the child {' '.join(command[1:3])} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- report ---------------------------------------------------------------------------


@dataclass
class Check:
    """The targets met and missed so far, for ``--check``."""

    missed: list[str] = field(default_factory=list)

    def verdict(self, name: str, value: float, target: float) -> str:
        """Return ``PASS`` if ``value <= target``, else ``MISS`` (and remember ``name``)."""
        if value <= target:
            return "PASS"
        self.missed.append(name)
        return "MISS"

    def exit_code(self, check: bool) -> int:
        """0, or 1 with the missed targets on stderr when ``check`` is set and some missed."""
        if self.missed and check:
            print(f"missed: {'; '.join(self.missed)}", file=sys.stderr)
            return 1
        return 0


def fmt_us(seconds: float) -> str:
    """Format a duration in microseconds, or milliseconds from 1 ms on."""
    if seconds >= 0.001:
        return f"{seconds * 1e3:,.2f} ms"
    return f"{seconds * 1e6:,.0f} us"


def fmt_int(value: int) -> str:
    """Format a count with thousands separators."""
    return f"{value:,}"


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a fixed-width table: the first column left-aligned, the others right."""
    cells = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def header_line(title: str, *, timer_cpu: bool) -> None:
    """Print the first two lines every script prints: what runs, and on what."""
    print(f"relationkit {rk.__version__} {title}")
    print(
        "SQLite: WAL, synchronous=NORMAL, foreign_keys=ON, BEGIN IMMEDIATE "
        f"(SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}); "
        + ("CPU time of this process" if timer_cpu else "wall-clock time"),
        flush=True,
    )


def utc_now_text(when: pendulum.DateTime) -> str:
    """An instant as text, UTC, fixed width (the baselines store instants so)."""
    return when.in_timezone("UTC").format("YYYY-MM-DD HH:mm:ss.SSSSSS")
