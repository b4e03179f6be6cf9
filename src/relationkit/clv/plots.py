"""PNG pictures of the model checks, drawn with matplotlib (``relationkit[plot]``).

matplotlib is imported when a picture is asked for, never at import time.
Figures are drawn on their own canvas, without pyplot: no display is needed
and the host's pyplot state and backend are left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relationkit.clv.checks import HoldoutCheck, TrackingCheck

__all__ = ["plot_holdout", "plot_tracking"]

_EXTRA = "saving a plot needs matplotlib: pip install 'relationkit[plot]'"


def _figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(_EXTRA) from exc
    return Figure(figsize=(8, 4.5))


def plot_tracking(check: TrackingCheck, path: str | Path) -> None:
    """Save the cumulative tracking curve of ``check`` as a PNG at ``path``.

    Raises:
        ImportError: if matplotlib is not installed.
    """
    figure = _figure()
    axes = figure.subplots()
    periods = [row.period for row in check.rows]
    axes.plot(periods, [row.actual for row in check.rows], label="actual", color="black")
    axes.plot(
        periods,
        [row.expected for row in check.rows],
        label="model",
        color="tab:blue",
        linestyle="--",
    )
    calibration = [row.period for row in check.rows if not row.holdout]
    if calibration:
        axes.axvline(calibration[-1], color="grey", linestyle=":", label="end of calibration")
    axes.set_xlabel("period")
    axes.set_ylabel("cumulative repeat transactions")
    axes.set_title("Tracking: actual against expected")
    axes.legend()
    figure.tight_layout()
    figure.savefig(Path(path), format="png", dpi=100)


def plot_holdout(check: HoldoutCheck, path: str | Path) -> None:
    """Save the holdout comparison of ``check`` as a PNG bar chart at ``path``.

    Raises:
        ImportError: if matplotlib is not installed.
    """
    figure = _figure()
    axes = figure.subplots()
    positions = list(range(len(check.rows)))
    axes.bar([p - 0.2 for p in positions], [r.actual for r in check.rows], 0.4, label="actual")
    axes.bar([p + 0.2 for p in positions], [r.expected for r in check.rows], 0.4, label="model")
    axes.set_xticks(positions, [r.bucket for r in check.rows])
    axes.set_xlabel("repeat transactions in calibration")
    axes.set_ylabel("mean transactions in holdout")
    axes.set_title("Holdout: actual against conditional expectation")
    axes.legend()
    figure.tight_layout()
    figure.savefig(Path(path), format="png", dpi=100)
