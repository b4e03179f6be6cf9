"""The CDNOW demo and the ingest benchmark run as shipped and print what they promise."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

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


def test_demo_quick_run_prints_every_section(tmp_path: Path) -> None:
    """The demo replays 2,000 orders into a SQLite file and prints the whole report."""
    db = tmp_path / "demo.db"

    out = run(str(DEMO), "--limit", "2000", "--db", str(db), cwd=tmp_path).stdout

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
    assert db.exists()
    assert not (tmp_path / "cdnow_demo.db").exists()


def test_demo_rerun_with_keep_records_nothing_new(tmp_path: Path) -> None:
    """A second run with --keep replays the same orders into the same file: no effect."""
    db = tmp_path / "demo.db"
    run(str(DEMO), "--limit", "500", "--db", str(db), cwd=tmp_path)

    out = run(str(DEMO), "--limit", "500", "--db", str(db), "--keep", cwd=tmp_path).stdout

    assert "-> 0 recorded, 500 unchanged, 0 customers created" in out
    assert re.search(r"^purchases +500$", out, re.MULTILINE)
    assert "(already refunded by an earlier run of this demo)" in out


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
