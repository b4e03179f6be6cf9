"""Report how many documentation code blocks ran and which were skipped, and why."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print one line per skipped docs block after the run (works under xdist)."""
    ran = 0
    skipped: list[str] = []
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        if getattr(report, "when", "call") != "call":
            continue
        for name, value in getattr(report, "user_properties", []):
            if name == "docs_blocks_ran":
                ran += int(value)
            elif name == "docs_blocks_skipped":
                skipped.extend(str(item) for item in value)
    if not ran and not skipped:
        return
    terminalreporter.write_line(
        f"docs code blocks: {ran} ran, {len(skipped)} skipped" + ("" if not skipped else ":")
    )
    for item in skipped:
        terminalreporter.write_line(f"  skipped {item}")
