"""Replay 69,659 real CDNOW purchases into relationkit, then show what it knows.

Run it with ``make demo`` or::

    python examples/cdnow_demo.py                 # a SQLite file in the user's cache
    python examples/cdnow_demo.py --db crm.db     # a SQLite file of your choice
    python examples/cdnow_demo.py --limit 2000    # a quick run
    python examples/cdnow_demo.py --memory        # the in-memory backend
    python examples/cdnow_demo.py --plot t.png    # where to save the tracking plot

The database goes to ``$XDG_CACHE_HOME/relationkit/cdnow_demo.db`` (by
default ``~/.cache/relationkit/cdnow_demo.db``), never into the source tree;
the demo prints where, and how long each phase took.

The orders arrive the way an e-commerce backend would send them: batches of
``record_many`` rows naming the customer by the shop's own id
(``customer_external_id``), so customers are created on their first order.
The kit's clock is frozen at 1998-07-01, the end of the data.

After the replay, accounts whose last purchase is long past move on in the
lifecycle: no purchase in 90 days makes a customer ``at_risk``, none in
180 days ``churned`` (a later purchase would bring them back to
``customer``; see :mod:`cdnow.lapse`). The last purchases come from the
kit's own ``PurchaseRecorded`` events, the way a host keeps such a table.

A loyalty program runs from the first order: one point per whole dollar,
spendable until the end of the following year in New York, and tiers on the
points earned over the last 365 days. After the replay the report runs the
year-end ``process_due()`` and checks the ledger with ``verify()``.

Then the analytics: the RFM segment table (``kit.scores.rfm``), the
purchase summary of the calibration period 1997-01-01 to 1997-09-30, the
BG/NBD and Gamma-Gamma models fitted on it (``relationkit.clv``), the
accounts most likely to be lost, the top predicted lifetime values over the
next twelve calendar months, and the model checks: the holdout table and
the tracking plot, saved as a PNG next to the database. The models need the
``clv`` extra and the plot the ``plot`` extra; without them those sections
say what to install and are skipped.

This file is the entry point: it parses the command line and runs the
phases, each timed by :class:`~cdnow.common.Phases`; the phases live in the
package ``cdnow`` beside it, one concept per module (see its docstring).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from cdnow import lapse, lifetime, loyalty_report, replay, segments, store_report
from cdnow.common import END_OF_DATA, Phases, heading
from cdnow_data import MASTER

import relationkit as rk

PLOT_NAME = "cdnow_tracking.png"
"""The tracking plot's file name, saved next to the database."""


def show_time(replayed: replay.Replayed, where: str, phases: Phases) -> None:
    """Print how long the replay and every other phase took."""
    rate = replayed.orders / replayed.seconds if replayed.seconds else 0.0
    heading("Time")
    print(
        f"replayed {replayed.orders:,} orders in {replayed.seconds:.1f} s "
        f"({rate:,.0f} orders/s) into {where}"
    )
    for name, seconds in phases.seconds.items():
        print(f"  {name:<24} {seconds:>7.1f} s")
    print(f"  {'total':<24} {phases.total:>7.1f} s")


def report(
    kit: rk.RelationKit,
    replayed: replay.Replayed,
    lapsed: lapse.Lapsed,
    args: argparse.Namespace,
    watched: tuple[loyalty_report.PointsTally, lifetime.PurchaseDays],
    phases: Phases,
) -> None:
    """Print the demo's report, one section per function, each timed in ``phases``.

    The loyalty sections come last: the year end moves the clock forward.
    """
    tally, days = watched
    replay.show_replay(replayed, args.batch_size)
    with phases.timed("counts and spend"):
        spend = store_report.spend_by_account(kit)
        store_report.show_counts(kit, replayed, spend)
    with phases.timed("lifecycle stages"):
        lapse.show_stages(kit, lapsed)
    with phases.timed("top spenders"):
        store_report.show_top_spenders(kit, spend)
    with phases.timed("idempotent replay"):
        store_report.show_idempotency(kit, Path(args.data), replayed)
    if spend:
        with phases.timed("refund and timeline"):
            store_report.refund_one(kit, spend[0].account_id)
            store_report.show_timeline(kit, spend[0].account_id)
    with phases.timed("RFM segments"):
        segments.show_rfm(kit)
    # A fresh store: the tally and the days have seen every event there is.
    counted = args.memory or not args.keep
    lifetime.report_lifetime(kit, phases, days if counted else None, Path(args.plot))
    accounts = sum(kit.lifecycle.distribution().values())
    with phases.timed("loyalty"):
        loyalty_report.show_loyalty(kit, tally, accounts, counted)
        if spend:
            loyalty_report.show_top_balances(kit, spend)
    with phases.timed("year end"):
        loyalty_report.show_year_end(kit, tally, accounts, counted)
        if spend:
            loyalty_report.show_points_history(kit, spend[0].account_id)
    with phases.timed("ledger check"):
        loyalty_report.show_verify(kit)
    show_time(replayed, _where(args), phases)


def _where(args: argparse.Namespace) -> str:
    if args.memory:
        return "the memory backend"
    path = Path(args.db)
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    return f"{path} ({size / 1e6:.1f} MB)"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--db",
        type=Path,
        default=None,
        help="SQLite file to fill (default: cdnow_demo.db in $XDG_CACHE_HOME/relationkit, "
        "else ~/.cache/relationkit)",
    )
    where.add_argument("--memory", action="store_true", help="use the in-memory backend")
    parser.add_argument(
        "--keep", action="store_true", help="keep an existing --db file instead of starting over"
    )
    parser.add_argument("--limit", type=int, help="replay only the first LIMIT purchases")
    parser.add_argument("--batch-size", type=int, default=1000, help="orders per transaction")
    parser.add_argument("--data", default=str(MASTER), help="CDNOW file (default: the master file)")
    parser.add_argument(
        "--plot",
        type=Path,
        default=None,
        help=f"where to save the tracking plot (default: {PLOT_NAME} next to the database; "
        "with --memory, in the default database's directory)",
    )
    args = parser.parse_args(argv)
    if args.db is None and not args.memory:
        args.db = replay.default_db()
    if args.plot is None:
        beside = replay.default_db() if args.memory else Path(args.db)
        args.plot = beside.resolve().with_name(PLOT_NAME)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo."""
    args = parse_args(argv)
    path = Path(args.data)
    phases = Phases()
    target = "memory" if args.memory else f"sqlite:///{Path(args.db).resolve().as_posix()}"
    print(f"relationkit {rk.__version__}: replaying real CDNOW purchases from {path.name}")
    print(
        f"into {target}, the clock frozen at {END_OF_DATA.to_date_string()} (end of the data)",
        flush=True,
    )
    with phases.timed("open"):
        kit = replay.open_kit(args)
    with kit:
        tally = loyalty_report.PointsTally()
        tally.watch(kit)
        recency = lapse.Recency()
        recency.watch(kit)
        days = lifetime.PurchaseDays()
        days.watch(kit)
        with phases.timed("replay"):
            replayed = replay.replay(kit, path, limit=args.limit, batch_size=args.batch_size)
        with phases.timed("at_risk and churned"):
            lapsed = lapse.mark_lapsed(kit, recency)
        report(kit, replayed, lapsed, args, (tally, days), phases)
    if not args.memory:
        print(f"\nThe database is {Path(args.db).resolve()} (--db to choose another file).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
