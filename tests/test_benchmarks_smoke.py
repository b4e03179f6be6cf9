"""The benchmark scripts run at their tiniest sizes and print their tables.

They are reports, not timed tests: these tests pin only that each script
still runs on the memory backend and a SQLite file, exits 0 without
``--check``, and prints its table with a row per measure. PostgreSQL is left
out (``--no-postgres``, and the environment variable removed). The ingest
benchmark is run by ``tests/test_examples.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


def run(script: str, *args: str, cwd: Path) -> str:
    """Run a benchmark script with this interpreter; return its output, failing on exit != 0."""
    env = {k: v for k, v in os.environ.items() if k != "RELATIONKIT_TEST_POSTGRES_URL"}
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args, "--no-postgres"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert 0 == done.returncode, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def table(out: str, first_header: str) -> list[list[str]]:
    """Return the rows (cells split on two spaces) of the table whose header starts so."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first_header))
    assert set(lines[start + 1].replace(" ", "")) == {"-"}, lines[start + 1]
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        rows.append(re.split(r" {2,}", line.strip()))
    return rows


def test_ledger_scaling_prints_a_row_per_backend_and_size(tmp_path: Path) -> None:
    """Two tiny sizes on memory and SQLite: four rows, the second size judged on each."""
    out = run(
        "ledger_scaling.py",
        "--quick",
        "--sizes",
        "10,40",
        "--ops",
        "3",
        "--tiers",
        "--backends",
        "memory,sqlite",
        cwd=tmp_path,
    )

    rows = table(out, "backend")
    assert [("memory", "10"), ("memory", "40"), ("SQLite file", "10"), ("SQLite file", "40")] == [
        (r[0], r[1]) for r in rows
    ], out
    assert [["-", "-"], ["-", "-"]] == [[rows[0][5], rows[0][8]], [rows[2][5], rows[2][8]]]
    assert {rows[1][5], rows[1][8], rows[3][5], rows[3][8]} <= {"PASS", "MISS"}
    assert "target: each size at most 1.2x the smallest (10 entries)" in out


def test_redeem_prints_a_verdict_against_its_target(tmp_path: Path) -> None:
    """A few redemptions on SQLite: one row, judged against the 2x target."""
    out = run("redeem.py", "-n", "20", cwd=tmp_path)

    rows = table(out, "backend")
    assert ["SQLite file"] == [r[0] for r in rows], out
    assert "<= 2.0x" == rows[0][6]
    assert rows[0][7] in {"PASS", "MISS"}


def test_write_path_prints_timings_and_statement_counts(tmp_path: Path) -> None:
    """A few operations on SQLite: five judged measures and seven counted operations."""
    out = run("write_path.py", "--quick", "--ops", "4", cwd=tmp_path)

    timed = table(out, "measure")
    assert 5 == len(timed), out
    assert {r[-1] for r in timed} <= {"PASS", "MISS"}
    assert ["<= 3.0x", "<= 1.2x", "<= 3.0x", "<= 1.2x", "<= 3.0x"] == [r[-2] for r in timed]
    counts = table(out, "operation")
    assert [
        "customers.create",
        "purchases.record",
        "purchases.record, program",
        "purchases.refund",
        "purchases.refund, program",
        "loyalty.redeem, program",
        "lifecycle.move",
    ] == [r[0] for r in counts], out
    assert all(r[2].isdigit() for r in counts)


def test_settlement_prints_both_operations(tmp_path: Path) -> None:
    """The first few hundred CDNOW orders: process_due and verify on SQLite, no problem found."""
    out = run("settlement.py", "--quick", "--limit", "300", "--check", cwd=tmp_path)

    rows = table(out, "backend")
    assert [("SQLite file", "process_due"), ("SQLite file", "verify")] == [
        (r[0], r[1]) for r in rows
    ], out
    assert rows[1][-1] == "0 problems"


def test_clv_fit_prints_both_parameter_sets_and_a_ratio(tmp_path: Path) -> None:
    """One BG/NBD fit per side on the CDNOW sample: three parameter rows, one judged ratio."""
    out = run("clv_fit.py", "--repeat", "1", cwd=tmp_path)

    assert ["published", "relationkit", "lifetimes"] == [r[0] for r in table(out, "fit")], out
    ratio = table(out, "measure")
    assert "<= 1.0x" == ratio[0][2]
    assert ratio[0][3] in {"PASS", "MISS"}


def test_analytics_prints_both_measures_with_the_same_answers(tmp_path: Path) -> None:
    """The first 3,000 CDNOW purchases: rfm and summary, judged, answers equal to the baselines."""
    out = run("analytics.py", "--quick", cwd=tmp_path)

    rows = table(out, "measure")
    assert ["rfm", "summary"] == [r[0] for r in rows], out
    assert ["<= 0.7x", "<= 0.5x"] == [r[5] for r in rows]
    assert {r[6] for r in rows} <= {"PASS", "MISS"}
    assert ["yes", "yes"] == [r[7] for r in rows]


def test_bulk_prints_relationkit_and_both_baselines(tmp_path: Path) -> None:
    """The first 300 CDNOW orders on SQLite: relationkit, A judged at 1.5x, B at 2.5x."""
    out = run("bulk.py", "--quick", "--limit", "300", "--batch-size", "100", cwd=tmp_path)

    rows = table(out, "side")
    assert [
        ("relationkit record_many", "SQLite file"),
        ("A: Core executemany, 4 tables", "SQLite file"),
        ("B: sqlite3 executemany, 2 tables", "SQLite file"),
    ] == [(r[0], r[1]) for r in rows], out
    assert ["-", "<= 1.5x", "<= 2.5x"] == [r[6] for r in rows]
    assert {rows[1][7], rows[2][7]} <= {"PASS", "MISS"}
    assert "batches of 100" in out
