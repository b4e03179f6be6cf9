"""What relationkit's analytics cost against pandas and lifetimes on the same SQLite data.

Run it with::

    python benchmarks/analytics.py            # CDNOW master x 10: 696,590 purchases
    python benchmarks/analytics.py --quick    # the first 3,000 purchases, once
    python benchmarks/analytics.py --check    # exit 1 if a target is missed
    python benchmarks/analytics.py --help     # more options

The data is the CDNOW master file (``tests/data/cdnow``) replicated
``--replicas`` times under distinct customers, recorded through
``kit.purchases.record_many`` into an SQLite file once and cached under
``/tmp`` (keyed by the number of replicas and rows); the kit reads it in
``--timezone`` (New York by default: every purchase is at noon there).

rfm
    ``kit.scores.rfm(as_of=...)`` walked to the end, against pandas reading
    the same purchase and refund tables (``pd.read_sql``), netting refunds,
    taking each purchase's day in the same zone and doing groupby plus
    ``qcut`` of ``rank(method="first")`` for the three scores. Target: at
    most 0.7x.
summary
    ``kit.scores.purchase_summary(as_of=..., unit="days")`` walked to the end,
    against ``lifetimes.utils.summary_data_from_transaction_data`` on a
    DataFrame of the same purchase rows already in memory (customer, local
    time, dollars; lifetimes groups them into days). Target: at most 0.5x.

Both comparisons also check that the answers are the same. Times are the
best of ``--repeat`` rounds, wall clock unless ``--cpu``. The exit code is 0
whatever the results unless ``--check`` is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pendulum
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Check, header_line, print_table

import relationkit as rk
from relationkit.storage.sql import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "tests" / "data" / "cdnow" / "CDNOW_master.txt"
CACHE = Path("/tmp/relationkit-bench-analytics")
DATA_ZONE = "America/New_York"
AS_OF = dt.date(1998, 6, 30)
RFM_TARGET = 0.7
SUMMARY_TARGET = 0.5
QUICK_ROWS = 3000
BATCH = 5000
# The segment map, re-typed here as the pandas side's lookup table.
_SEGMENTS = {
    5: ("new", "potential loyalist", "potential loyalist", "champions", "champions"),
    4: ("promising", "potential loyalist", "loyal", "loyal", "champions"),
    3: ("about to sleep", "need attention", "need attention", "loyal", "loyal"),
    2: ("hibernating", "about to sleep", "at risk", "at risk", "cannot lose"),
    1: ("lost", "hibernating", "at risk", "cannot lose", "cannot lose"),
}

Timer = Callable[[], float]


# -- the data -------------------------------------------------------------------


def orders(replicas: int, limit: int | None) -> Iterator[dict[str, Any]]:
    """Yield the master file's purchases ``replicas`` times as ``record_many`` rows."""
    zone = pendulum.timezone(DATA_ZONE)
    lines = MASTER.read_text(encoding="ascii").splitlines()[1:]
    rows = [line.split() for line in lines if line.strip()][:limit]
    days: dict[str, pendulum.DateTime] = {}
    for replica in range(replicas):
        seen: dict[tuple[str, str], int] = {}
        for customer, day, _cds, dollars in rows:
            when = days.get(day)
            if when is None:
                when = days[day] = pendulum.datetime(
                    int(day[:4]), int(day[4:6]), int(day[6:]), 12, tz=zone
                )
            n = seen.get((customer, day), 0)
            seen[customer, day] = n + 1
            yield {
                "order_id": f"{replica}-{customer}-{day}-{n}",
                "customer_external_id": f"cdnow-{replica}-{customer}",
                "occurred_at": when,
                "total": rk.Money(Decimal(dollars), "USD"),
            }


def cached_store(replicas: int, limit: int | None) -> Path:
    """Return the SQLite file of the data, building it once (about a minute for x10)."""
    rows = "all" if limit is None else str(limit)
    # The schema version is part of the name: a file an older relationkit
    # built is refused (SchemaMismatch), so it is built again, not reused.
    path = CACHE / f"cdnow-x{replicas}-{rows}-v{SCHEMA_VERSION}.db"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building")
    for leftover in CACHE.glob(f"{building.name}*"):
        leftover.unlink()
    print(f"building {path} (cached for later runs) ...", flush=True)
    start = time.perf_counter()
    clock = rk.FrozenClock(pendulum.datetime(1998, 7, 1, tz="UTC"))
    with rk.open(f"sqlite:///{building.as_posix()}", clock=clock) as kit:
        result = kit.purchases.record_many(orders(replicas, limit), batch_size=BATCH)
    print(f"  {result.recorded:,} purchases in {time.perf_counter() - start:.1f} s", flush=True)
    building.rename(path)
    return path


# -- relationkit ------------------------------------------------------------------


def rk_rfm(kit: rk.RelationKit) -> dict[str, tuple[int, int, int, str]]:
    """Every account's RFM scores and segment, walked through ``kit.scores.rfm``."""
    return {r.account_id: (r.r, r.f, r.m, r.segment) for r in kit.scores.rfm(as_of=AS_OF)}


def rk_summary(kit: rk.RelationKit) -> list[Any]:
    """Every account's summary in days, walked through ``kit.scores.purchase_summary``."""
    return list(kit.scores.purchase_summary(as_of=AS_OF, unit="days", currency="USD"))


def rk_summary_numbers(rows: list[Any]) -> dict[str, tuple[int, float, float, float]]:
    """The summary rows as ``{account: (frequency, recency, T, monetary_value)}``."""
    return {r.account_id: (r.frequency, r.recency, r.T, r.monetary_value) for r in rows}


# -- pandas and lifetimes -----------------------------------------------------------


def local_days(occurred_at: pd.Series, zone: str) -> pd.Series:
    """The calendar day in ``zone`` of stored UTC text instants, as naive midnights."""
    instants = pd.to_datetime(occurred_at, utc=True, format="ISO8601")
    return instants.dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()


def pandas_days(engine: sa.Engine, zone: str) -> pd.DataFrame:
    """Read purchases and refunds; return each account's ``(account_id, day, value)``."""
    purchases = pd.read_sql(
        "SELECT order_id, account_id, occurred_at, total_minor, currency FROM rk_purchases",
        engine,
    )
    refunds = pd.read_sql("SELECT order_id, amount_minor, occurred_at FROM rk_refunds", engine)
    end = pd.Timestamp(f"{AS_OF + dt.timedelta(days=1)}", tz=zone).tz_convert("UTC")
    refunds = refunds[pd.to_datetime(refunds["occurred_at"], utc=True) < end]
    refunded = refunds.groupby("order_id")["amount_minor"].sum()
    purchases = purchases[
        (purchases["currency"] == "USD")
        & (pd.to_datetime(purchases["occurred_at"], utc=True) < end)
    ]
    back = purchases["order_id"].map(refunded).fillna(0).astype("int64")
    net = purchases["total_minor"] - back
    kept = ~((back > 0) & (net <= 0))
    frame = pd.DataFrame(
        {
            "account_id": purchases["account_id"][kept],
            "day": local_days(purchases["occurred_at"][kept], zone),
            "value": net[kept],
        }
    )
    return frame.groupby(["account_id", "day"])["value"].sum().reset_index()


def pandas_rfm(engine: sa.Engine, zone: str) -> dict[str, tuple[int, int, int, str]]:
    """RFM the pandas way: read the tables, groupby, qcut of first-ranks."""
    days = pandas_days(engine, zone)
    per = days.groupby("account_id").agg(
        last=("day", "max"), days=("day", "size"), total=("value", "sum")
    )
    per = per.sort_index()  # rank(method="first") then breaks ties by account id

    def score(column: str) -> pd.Series:
        ranks = per[column].rank(method="first")
        return pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype("int64")

    r, f, m = score("last"), score("days"), score("total")
    fm = (f + m + 1) // 2
    segment = [_SEGMENTS[a][b - 1] for a, b in zip(r, fm, strict=True)]
    return {
        a: (int(x), int(y), int(z), s)
        for a, x, y, z, s in zip(per.index, r, f, m, segment, strict=True)
    }


def lifetimes_frame(engine: sa.Engine, zone: str) -> pd.DataFrame:
    """The same purchase rows as a DataFrame for lifetimes: customer, local time, dollars.

    The data has no refunds; lifetimes groups the rows into days itself.
    """
    purchases = pd.read_sql(
        "SELECT account_id, occurred_at, total_minor FROM rk_purchases WHERE currency = 'USD'",
        engine,
    )
    instants = pd.to_datetime(purchases["occurred_at"], utc=True, format="ISO8601")
    return pd.DataFrame(
        {
            "customer": purchases["account_id"],
            "date": instants.dt.tz_convert(zone).dt.tz_localize(None),
            "value": purchases["total_minor"] / 100,
        }
    )


def lifetimes_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """lifetimes' summary of ``frame`` in days, observation ending on the as_of day."""
    from lifetimes.utils import (  # type: ignore[import-untyped]
        summary_data_from_transaction_data,
    )

    result: pd.DataFrame = summary_data_from_transaction_data(
        frame,
        "customer",
        "date",
        monetary_value_col="value",
        observation_period_end=pd.Timestamp(AS_OF),
        freq="D",
    )
    return result


def lifetimes_numbers(summary: pd.DataFrame) -> dict[str, tuple[int, float, float, float]]:
    """lifetimes' summary as ``{account: (frequency, recency, T, monetary_value)}``."""
    return {
        str(a): (int(f), float(r), float(t), float(m))
        for a, f, r, t, m in zip(
            summary.index,
            summary["frequency"],
            summary["recency"],
            summary["T"],
            summary["monetary_value"],
            strict=True,
        )
    }


def same_summaries(
    ours: dict[str, tuple[int, float, float, float]],
    theirs: dict[str, tuple[int, float, float, float]],
) -> bool:
    """Whether both summaries hold the same accounts and numbers (values to 1e-9)."""
    if ours.keys() != theirs.keys():
        return False
    return all(
        a[:3] == b[:3] and abs(a[3] - b[3]) <= 1e-9 * max(1.0, abs(b[3]))
        for k in ours
        for a, b in [(ours[k], theirs[k])]
    )


# -- timing and report ----------------------------------------------------------------


def best(repeat: int, timer: Timer, work: Callable[[], Any]) -> tuple[float, Any]:
    """Return the best time of ``repeat`` runs of ``work`` (collector off), and its last result."""
    times, result = [], None
    for _ in range(repeat):
        result = None
        # As timeit does: no cyclic collection inside the timed part, for either side.
        gc.collect()
        gc.disable()
        try:
            start = timer()
            result = work()
            times.append(timer() - start)
        finally:
            gc.enable()
    return min(times), result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} purchases, once")
    parser.add_argument("--replicas", type=int, help="copies of the master file (default 10)")
    parser.add_argument("--limit", type=int, help="use only the first LIMIT purchases")
    parser.add_argument(
        "--timezone", default=DATA_ZONE, help="the kit's zone (default: %(default)s)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the best counts")
    parser.add_argument("--cpu", action="store_true", help="time this process's CPU")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--no-postgres", action="store_true", help="accepted; SQLite only")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build or reuse the data, time both sides of both measures, print the table."""
    args = parse_args(argv)
    replicas = args.replicas or (1 if args.quick else 10)
    limit = args.limit or (QUICK_ROWS if args.quick else None)
    timer: Timer = time.process_time if args.cpu else time.perf_counter
    header_line(
        f"analytics benchmark: CDNOW master x {replicas}"
        + (f" (first {limit:,} purchases)" if limit else "")
        + f", as of {AS_OF}, days in {args.timezone}",
        timer_cpu=args.cpu,
    )
    path = cached_store(replicas, limit)
    url = f"sqlite:///{path.as_posix()}"
    engine = sa.create_engine(url)
    check = Check()
    rows: list[list[str]] = []
    with rk.open(url, timezone=args.timezone) as kit:
        ours, rk_scores = best(args.repeat, timer, lambda: rk_rfm(kit))
        theirs, pd_scores = best(args.repeat, timer, lambda: pandas_rfm(engine, args.timezone))
        ratio = ours / theirs
        rows.append(
            [
                "rfm",
                f"{len(rk_scores):,}",
                f"{ours:.3f} s",
                f"{theirs:.3f} s",
                f"{ratio:.2f}x",
                f"<= {RFM_TARGET}x",
                check.verdict("rfm", ratio, RFM_TARGET),
                "yes" if rk_scores == pd_scores else "NO",
            ]
        )
        frame = lifetimes_frame(engine, args.timezone)
        ours, rk_rows = best(args.repeat, timer, lambda: rk_summary(kit))
        theirs, lt_rows = best(args.repeat, timer, lambda: lifetimes_summary(frame))
        ratio = ours / theirs
        rows.append(
            [
                "summary",
                f"{len(rk_rows):,}",
                f"{ours:.3f} s",
                f"{theirs:.3f} s",
                f"{ratio:.2f}x",
                f"<= {SUMMARY_TARGET}x",
                check.verdict("summary", ratio, SUMMARY_TARGET),
                "yes"
                if same_summaries(rk_summary_numbers(rk_rows), lifetimes_numbers(lt_rows))
                else "NO",
            ]
        )
    engine.dispose()
    print()
    header = ["measure", "accounts", "relationkit", "baseline", "ratio", "target", "verdict"]
    print_table([*header, "same answers"], rows)
    print(
        "\nbaselines: rfm = pandas read_sql + groupby + qcut; "
        "summary = lifetimes summary_data_from_transaction_data on an in-memory DataFrame"
    )
    if any(row[-1] != "yes" for row in rows):
        print("the answers differ", file=sys.stderr)
        return 1
    return check.exit_code(args.check)


if __name__ == "__main__":
    raise SystemExit(main())
