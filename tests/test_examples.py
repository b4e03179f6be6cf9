"""The CDNOW demo and the ingest benchmark run as shipped and print what they promise."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "cdnow_demo.py"
BENCHMARK = ROOT / "benchmarks" / "ingest.py"

DEMO_SECTIONS = (
    "Replay",
    "What the kit holds",
    "Lifecycle stages",
    "Top 10 customers by net spend",
    "Sending the first 1,000 orders again",
    "Refund",
    "Timeline of cdnow-",
    "Loyalty points on 1998-07-01",
    "Top 5 loyalty balances",
    "Year end: process_due() on 1999-01-01 00:00 America/New_York",
    "Points history of cdnow-",
    "Ledger check",
    "Time",
)


def run(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a script with this interpreter; fail the test with its output if it fails."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
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


def test_demo_rerun_with_keep_records_nothing_new(tmp_path: Path) -> None:
    """A second run with --keep replays the same orders into the same file: no effect."""
    db = tmp_path / "demo.db"
    run(str(DEMO), "--limit", "500", "--db", str(db), cwd=tmp_path)

    out = run(str(DEMO), "--limit", "500", "--db", str(db), "--keep", cwd=tmp_path).stdout

    assert "-> 0 recorded, 500 unchanged, 0 customers created" in out
    assert re.search(r"^purchases +500$", out, re.MULTILINE)
    assert "(already refunded by an earlier run of this demo)" in out
    assert "(totals and tiers are counted from this run's events: run without --keep)" in out
    assert re.search(r"^verify\(\) -> \d+ accounts checked in [\d.]+ s: ok$", out, re.M)


def test_demo_runs_on_the_memory_backend(tmp_path: Path) -> None:
    """With --memory the demo writes no file and gives the same counts."""
    out = run(str(DEMO), "--limit", "500", "--memory", cwd=tmp_path).stdout

    assert "-> 500 recorded, 0 unchanged" in out
    assert "into the memory backend" in out
    assert list(tmp_path.iterdir()) == []


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
