"""The CDNOW demo and the ingest benchmark run as shipped and print what they promise."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "cdnow_demo.py"
BENCHMARK = ROOT / "benchmarks" / "ingest.py"
PLOT_NAME = "cdnow_tracking.png"
CALIBRATION_END = dt.date(1997, 9, 30)
LAST_DAY = dt.date(1998, 6, 30)
SEGMENTS = {
    "champions",
    "loyal",
    "potential loyalist",
    "new",
    "promising",
    "need attention",
    "about to sleep",
    "at risk",
    "cannot lose",
    "hibernating",
    "lost",
}
"""The named RFM segments of docs/scoring.md."""

DEMO_SECTIONS = (
    "Replay",
    "What the kit holds",
    "Lifecycle stages",
    "Top 10 customers by net spend",
    "Sending the first 1,000 orders again",
    "Refund",
    "Timeline of cdnow-",
    "RFM segments on 1998-06-30",
    "Purchase summary, 1997-01-01 to 1997-09-30 (calibration)",
    "BG/NBD and Gamma-Gamma, fitted on the calibration summary",
    "Accounts most likely to be lost (repeat buyers, on 1998-06-30)",
    "Top 10 predicted lifetime values, 12 calendar months from 1998-06-30",
    "Model check: holdout 1997-10-01 to 1998-06-30",
    "Loyalty points on 1998-07-01",
    "Top 5 loyalty balances",
    "Year end: process_due() on 1999-01-01 00:00 America/New_York",
    "Points history of cdnow-",
    "Ledger check",
    "Time",
)


def run(
    *args: str, cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a script with this interpreter; fail the test with its output if it fails."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def headings(output: str) -> list[str]:
    """Return the section titles of a report (the lines underlined with dashes)."""
    lines = output.splitlines()
    return [
        title
        for title, rule in itertools.pairwise(lines)
        if rule and set(rule) == {"-"} and len(rule) == len(title)
    ]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Run the demo once over the first 2,000 orders; return its output and working directory."""
    where = tmp_path_factory.mktemp("quick")
    out = run(str(DEMO), "--limit", "2000", "--db", str(where / "demo.db"), cwd=where).stdout
    return out, where


def test_demo_quick_run_prints_every_section(quick_run: tuple[str, Path]) -> None:
    """The demo replays 2,000 orders into a SQLite file and prints the whole report."""
    out, where = quick_run

    titles = headings(out)
    assert [any(t.startswith(s) for t in titles) for s in DEMO_SECTIONS] == [True] * len(
        DEMO_SECTIONS
    ), titles
    assert "-> 2,000 recorded, 0 unchanged, 586 customers created" in out
    assert re.search(r"^purchases +2,000$", out, re.MULTILINE)
    assert "(matches the 2,000 orders sent)" in out
    assert "0 recorded, 1,000 unchanged, 0 customers created" in out
    assert "IdempotencyConflict: order '00001-19970101-0'" in out
    assert "fields=('total',)" in out
    assert "orders/s" in out
    assert (where / "demo.db").exists()
    assert not (where / "cdnow_demo.db").exists()


def test_demo_quick_run_reports_points_tiers_and_expiry(quick_run: tuple[str, Path]) -> None:
    """The loyalty sections add up: points earned, taken back, expired, and a sound ledger.

    Over the first 2,000 orders, one point per whole dollar earns 72,921
    points; the demo's refund of one 12.55 USD CD takes 12 back; nothing is
    due at the frozen clock, and the year end expires everything earned in
    1997 that nobody spent.
    """
    out, _ = quick_run
    nothing_due = r"^process_due\(\) -> DueResult\(accounts=0, activated=0, expired=0, "

    assert re.search(nothing_due, out, re.M)
    assert re.search(r"^earned +72,921 points$", out, re.M)
    assert re.search(r"^taken back +12 points", out, re.M)
    assert re.search(r"^balance +72,909 points", out, re.M)
    assert re.search(r"^expired +59,991 points +\(earned in 1997, not spent\)$", out, re.M)
    assert re.search(r"^balance +12,918 points +\(earned in 1998", out, re.M)
    tiers = re.findall(r"^  (platinum|gold|silver|\(no tier\)) +([\d,]+) ", out, re.M)
    assert [("platinum", "3"), ("gold", "25"), ("silver", "53"), ("(no tier)", "505")] == tiers[:4]
    assert re.search(r"^verify\(\) -> 585 accounts checked in [\d.]+ s: ok$", out, re.M)


def test_demo_stage_table_follows_the_data_recency(quick_run: tuple[str, Path]) -> None:
    """Customers with no purchase in 90 (180) days by 1998-07-01 are at_risk (churned).

    The expected counts are computed here from the same 2,000 orders, by each
    customer's last purchase date.
    """
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from cdnow_data import MASTER, iter_orders
    finally:
        sys.path.remove(str(ROOT / "examples"))
    import pendulum

    end = pendulum.datetime(1998, 7, 1, tz="UTC")
    last: dict[str, pendulum.DateTime] = {}
    for row in iter_orders(MASTER, limit=2000):
        who = row["customer_external_id"]
        last[who] = max(last.get(who, row["occurred_at"]), row["occurred_at"])
    expected = Counter(
        "churned"
        if when <= end.subtract(days=180)
        else "at_risk"
        if when <= end.subtract(days=90)
        else "customer"
        for when in last.values()
    )
    out, _ = quick_run

    table = dict(re.findall(r"^(customer|at_risk|churned) +([\d,]+) ", out, re.M))

    assert {stage: f"{count:,}" for stage, count in expected.items()} == table
    assert len(table) == 3


def slice_days(limit: int) -> dict[str, list[dt.date]]:
    """Return each customer's distinct purchase days among the first ``limit`` CDNOW orders."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from cdnow_data import MASTER, iter_orders
    finally:
        sys.path.remove(str(ROOT / "examples"))
    days: dict[str, set[dt.date]] = {}
    for row in iter_orders(MASTER, limit=limit):
        days.setdefault(row["customer_external_id"], set()).add(row["occurred_at"].date())
    return {customer: sorted(found) for customer, found in days.items()}


def section(output: str, title: str) -> list[str]:
    """Return the lines of the report section whose title starts with ``title``."""
    lines = output.splitlines()
    titles = headings(output)
    start = next(i for i, line in enumerate(lines) if line.startswith(title) and line in titles)
    end = next(
        (i for i in range(start + 2, len(lines) - 1) if lines[i] in titles),
        len(lines),
    )
    return lines[start + 2 : end]


def test_demo_rfm_segments_add_up_to_the_accounts(quick_run: tuple[str, Path]) -> None:
    """Every account that bought in the 2,000 orders falls in exactly one named segment."""
    out, _ = quick_run
    customers = len(slice_days(2000))
    lines = section(out, "RFM segments on 1998-06-30")

    rows = {
        m[1]: int(m[2].replace(",", ""))
        for line in lines
        if (m := re.match(r"^([a-z ]+?) {2,}([\d,]+) +[\d.]+%", line)) and m[1] != "total"
    }
    total = next(line for line in lines if line.startswith("total"))

    assert set(rows) <= SEGMENTS, rows
    assert customers == sum(rows.values())
    assert re.match(rf"^total +{customers:,} +100\.0%$", total), total
    assert f"kit.scores.rfm(as_of=1998-06-30) scored {customers:,} accounts" in lines[0]


def test_demo_summary_counts_the_calibration_buyers(quick_run: tuple[str, Path]) -> None:
    """The calibration summary has every customer who bought by 1997-09-30, and its repeat buyers.

    A repeat buyer bought on at least two days of the calibration period;
    the counts are computed here from the same 2,000 orders.
    """
    out, _ = quick_run
    calibration = [[d for d in days if d <= CALIBRATION_END] for days in slice_days(2000).values()]
    buyers = sum(1 for days in calibration if days)
    repeat = sum(1 for days in calibration if len(days) > 1)

    lines = section(out, "Purchase summary, 1997-01-01 to 1997-09-30")

    assert f"accounts        {buyers:>8,}" in lines
    assert any(line.startswith(f"repeat buyers   {repeat:>8,}   (") for line in lines), lines


def _params(line: str) -> dict[str, float]:
    return {name: float(value) for name, value in re.findall(r"(\w+) ([-\d.e+]+) ±", line)}


def test_demo_fits_finite_parameters_and_saves_the_tracking_plot(
    quick_run: tuple[str, Path],
) -> None:
    """BG/NBD and Gamma-Gamma fit with finite positive parameters; the checks match the data.

    The holdout table counts every calibration customer once; the tracking
    curve's actual repeat transactions at week 39 and week 78 are the
    purchase days after each customer's first, counted here from the file;
    the PNG is saved next to the database and the path is printed.
    """
    out, where = quick_run
    days = slice_days(2000)
    cohort = [d for d in days.values() if d[0] <= CALIBRATION_END]
    lines = section(out, "BG/NBD and Gamma-Gamma")
    bgnbd = _params(next(line for line in lines if line.startswith("BG/NBD")))
    spend = _params(next(line for line in lines if line.startswith("Gamma-Gamma")))
    check = section(out, "Model check: holdout")
    holdout = [
        int(m[1])
        for line in check
        if (m := re.match(r"^ +(?:\d|7\+) +(\d+) +[\d.]+ +[\d.]+$", line))
    ]
    weeks = {
        int(m[1]): int(m[2].replace(",", ""))
        for line in check
        if (
            m := re.match(
                r"^ +(\d+) +\d{4}-\d\d-\d\d +([\d,]+) +[\d,.]+ +(?:calibration|holdout)$", line
            )
        )
    }
    plot = (where / "demo.db").resolve().with_name(PLOT_NAME)

    assert ["a", "alpha", "b", "r"] == sorted(bgnbd)
    assert ["gamma", "p", "q"] == sorted(spend)
    assert all(math.isfinite(v) and v > 0 for v in [*bgnbd.values(), *spend.values()])
    assert len(cohort) == sum(holdout)
    assert sum(len([x for x in d if x <= CALIBRATION_END]) - 1 for d in cohort) == weeks[39]
    assert sum(len([x for x in d if x <= LAST_DAY]) - 1 for d in cohort) == weeks[78]
    assert f"tracking plot saved to {plot}" in check
    assert b"\x89PNG\r\n\x1a\n" == plot.read_bytes()[:8]


def test_demo_ranks_likely_lost_buyers_and_lifetime_values(quick_run: tuple[str, Path]) -> None:
    """The lost table lists repeat buyers by rising P(alive); the values table by falling value.

    Each listed customer's purchase days and last purchase are checked
    against the file; every account gets a lifetime value.
    """
    out, _ = quick_run
    days = slice_days(2000)
    lost = [
        (m[1], int(m[2]), dt.date.fromisoformat(m[3]), float(m[4]), int(m[5]))
        for line in section(out, "Accounts most likely to be lost")
        if (m := re.match(r"^ *\d+  (cdnow-\d+) +(\d+) +(\S+) +([\d.e+-]+) +(\d+) \w+$", line))
    ]
    values_section = section(out, "Top 10 predicted lifetime values")
    values = [
        float(m[1].replace(",", ""))
        for line in values_section
        if (m := re.match(r"^ *\d+  cdnow-\d+ +[\d.]+ +[\d.]+ +[\d.]+ +([\d,.]+)$", line))
    ]

    assert 10 == len(lost)
    assert [(len(days[c]), days[c][-1]) for c, *_ in lost] == [(n, last) for _, n, last, *_ in lost]
    assert all(n >= 2 for _, n, *_ in lost)
    assert sorted(p for *_, p, _ in lost) == [p for *_, p, _ in lost]
    assert all(0 <= risk <= 100 for *_, risk in lost)
    assert 10 == len(values)
    assert sorted(values, reverse=True) == values
    assert values[-1] > 0
    assert any(line.startswith(f"all {len(days):,} accounts: ") for line in values_section)


@pytest.mark.parametrize(
    ("hidden", "message"),
    [
        (
            "numpy",
            "(skipped: relationkit.clv needs numpy and scipy: install the extra with "
            "pip install 'relationkit[clv]')",
        ),
        (
            "matplotlib",
            "(no tracking plot: saving a plot needs matplotlib: pip install 'relationkit[plot]')",
        ),
    ],
    ids=["without-clv", "without-plot"],
)
def test_demo_says_which_extra_is_missing(tmp_path: Path, hidden: str, message: str) -> None:
    """Without numpy (or matplotlib) the demo names the extra, skips what needs it, and runs on."""
    shadow = tmp_path / "shadow" / hidden
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(f"raise ImportError('{hidden} is hidden by the test')\n")
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    plot = tmp_path / "plot.png"

    out = run(str(DEMO), "--memory", "--limit", "300", "--plot", str(plot), cwd=tmp_path, env=env)

    assert message in out.stdout.splitlines()
    assert "RFM segments on 1998-06-30" in headings(out.stdout)
    assert ("Purchase summary, 1997-01-01 to 1997-09-30 (calibration)" in headings(out.stdout)) is (
        hidden != "numpy"
    )
    assert not plot.exists()


def test_demo_writes_its_database_to_the_user_cache(tmp_path: Path) -> None:
    """Without --db the SQLite file goes to $XDG_CACHE_HOME/relationkit, and the demo says so."""
    cache, work = tmp_path / "cache", tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}

    out = run(str(DEMO), "--limit", "300", cwd=work, env=env).stdout

    db = cache / "relationkit" / "cdnow_demo.db"
    assert db.exists()
    assert (cache / "relationkit" / PLOT_NAME).exists()
    assert f"The database is {db.resolve()}" in out
    assert [] == list(work.iterdir())
    assert re.search(r"^  total +[\d.]+ s$", out, re.M)


def test_demo_rerun_with_keep_records_nothing_new(tmp_path: Path) -> None:
    """A second run with --keep replays the same orders into the same file: no effect."""
    db = tmp_path / "demo.db"
    run(str(DEMO), "--limit", "500", "--db", str(db), cwd=tmp_path)

    out = run(str(DEMO), "--limit", "500", "--db", str(db), "--keep", cwd=tmp_path).stdout

    assert "-> 0 recorded, 500 unchanged, 0 customers created" in out
    assert re.search(r"^purchases +500$", out, re.MULTILINE)
    assert "(already refunded by an earlier run of this demo)" in out
    assert "(totals and tiers are counted from this run's events: run without --keep)" in out
    assert "read with kit.purchases.iter_history, one account at a time" in out
    assert re.search(r"^verify\(\) -> \d+ accounts checked in [\d.]+ s: ok$", out, re.M)


def test_demo_runs_on_the_memory_backend(tmp_path: Path) -> None:
    """With --memory the demo writes no database; the plot goes to the user cache."""
    cache, work = tmp_path / "cache", tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}

    out = run(str(DEMO), "--limit", "500", "--memory", cwd=work, env=env).stdout

    assert "-> 500 recorded, 0 unchanged" in out
    assert "into the memory backend" in out
    assert list(work.iterdir()) == []
    assert [PLOT_NAME] == [p.name for p in (cache / "relationkit").iterdir()]


def test_benchmark_quick_prints_a_verdict_per_measure(tmp_path: Path) -> None:
    """``ingest.py --quick`` prints the bulk, single and memory rows and exits 0 (a report).

    It takes about 10 s; ``--check`` is not given, so a MISS does not fail it.
    """
    out = run(str(BENCHMARK), "--quick", cwd=tmp_path, timeout=120).stdout

    rows = {
        line.split("  ")[0]: line.split()[-1]
        for line in out.splitlines()
        if line.endswith(("PASS", "MISS"))
    }
    assert sorted(rows) == [
        "bulk peak memory (max RSS growth)",
        "bulk record_many, 6,919 orders",
        "single record, 300 orders",
    ], out
    assert set(rows.values()) <= {"PASS", "MISS"}


SHOP = ROOT / "examples" / "shop_webhooks.py"


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgresql"])
def test_shop_webhooks_run_without_a_workaround(backend: str, tmp_path: Path) -> None:
    """The shop scenario, checkouts, early refunds and moves included, holds on every backend.

    The script checks each step itself and exits non-zero on any surprise
    (``run`` fails then); the lines below pin a few of its results.
    """
    args = [str(SHOP)]
    if backend == "sqlite":
        args.append(f"sqlite:///{tmp_path / 'shop.db'}")
    elif backend == "postgresql":
        url = os.environ.get("RELATIONKIT_TEST_POSTGRES_URL")
        if not url:
            pytest.skip("RELATIONKIT_TEST_POSTGRES_URL is not set")
        args.append(_fresh_schema(url))
    out = run(*args, cwd=tmp_path, timeout=120).stdout

    assert re.search(r"^lea's email +lea\.new@example\.com$", out, re.MULTILINE), out
    assert re.search(r"^customers +7$", out, re.MULTILINE), out
    assert re.search(r"^purchases +12$", out, re.MULTILINE), out
    assert re.search(r"^its hold +\('captured', '1011'\)$", out, re.MULTILINE), out
    assert re.search(r"^1012 refunded on arrival +10\.00 USD$", out, re.MULTILINE), out
    assert re.search(r"^two workers, one company +1$", out, re.MULTILINE), out
    assert re.search(r"^the abandoned cart's hold +expired$", out, re.MULTILINE), out


def _fresh_schema(url: str) -> str:
    """Return ``url`` on a new, empty PostgreSQL schema (the example uses default names)."""
    import uuid

    import sqlalchemy as sa

    schema = f"shop_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"
