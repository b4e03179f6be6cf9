"""How long a BG/NBD fit on the CDNOW sample takes, against lifetimes' BetaGeoFitter.

Run it with::

    python benchmarks/clv_fit.py              # 20 fits per side, the median
    python benchmarks/clv_fit.py --quick      # 3 fits per side
    python benchmarks/clv_fit.py --cpu        # CPU time of this process
    python benchmarks/clv_fit.py --check      # exit 1 if the target is missed

Both sides fit the calibration summary of the CDNOW sample
(``tests/data/cdnow/CDNOW_sample.txt``: 2,357 customers, 1997-01-01 to
1997-09-30, same-day purchases merged, weeks = days / 7), given as the same
three numpy arrays (frequency, recency, T):

relationkit
    ``clv.BetaGeoModel.fit_arrays(frequency, recency, T)``: checks the input,
    folds identical customers into weights, maximises the log-likelihood with
    L-BFGS-B and its analytic gradient, then computes the Hessian (standard
    errors) and the convergence checks.
lifetimes
    ``BetaGeoFitter().fit(frequency, recency, T)`` (lifetimes 0.11; it runs
    under pandas 3 when given numpy arrays): Nelder-Mead on the likelihood,
    no gradient, no weights by default.

Target (issue 10): relationkit at most 1.0x lifetimes, with the same
parameters (printed side by side, with the published estimates). The exit
code is 0 whatever the results unless ``--check`` is given. Nothing here uses
a database: ``--no-postgres`` is accepted and ignored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from _harness import Check, fmt_us, print_table

import relationkit as rk
from relationkit import clv

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "cdnow" / "CDNOW_sample.txt"
CALIBRATION_END = dt.date(1997, 9, 30)
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
TARGET = 1.0
FloatArray = npt.NDArray[np.float64]


def calibration_arrays(path: Path = SAMPLE) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return frequency, recency and T (weeks) of the sample's calibration period."""
    days: dict[str, set[dt.date]] = defaultdict(set)
    with path.open(encoding="ascii") as lines:
        for line in lines:
            cells = line.split()
            if not cells or not cells[0].isdigit():
                continue
            stamp = cells[-3]
            day = dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
            if day <= CALIBRATION_END:
                days[cells[0]].add(day)
    rows = []
    for seen in days.values():
        first, last = min(seen), max(seen)
        rows.append((len(seen) - 1, (last - first).days / 7, (CALIBRATION_END - first).days / 7))
    table = np.asarray(rows, dtype=np.float64)
    return table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy()


def median_seconds(fit: Callable[[], object], repeat: int, timer: Callable[[], float]) -> float:
    """Return the median duration of ``repeat`` calls of ``fit`` (after one warm-up)."""
    fit()
    times = []
    for _ in range(repeat):
        start = timer()
        fit()
        times.append(timer() - start)
    return statistics.median(times)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 fits per side instead of 20")
    parser.add_argument("--repeat", type=int, help="fits per side (overrides --quick)")
    parser.add_argument("--cpu", action="store_true", help="time this process's CPU")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    parser.add_argument("--no-postgres", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both fits, print the parameters and the time ratio."""
    args = parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 20)
    timer = time.process_time if args.cpu else time.perf_counter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter  # type: ignore[import-untyped]

    frequency, recency, age = calibration_arrays()
    print(f"relationkit {rk.__version__} clv: BG/NBD fit on the CDNOW sample")
    print(
        f"{len(frequency):,} customers, {int((frequency > 0).sum()):,} repeat buyers; "
        f"median of {repeat} fits per side; "
        + ("CPU time of this process" if args.cpu else "wall-clock time"),
        flush=True,
    )

    ours = clv.BetaGeoModel.fit_arrays(frequency, recency, age)

    def fit_theirs() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return BetaGeoFitter().fit(frequency, recency, age)

    theirs = fit_theirs()
    their_params = {k: float(v) for k, v in theirs.params_.items()}  # type: ignore[attr-defined]
    ours_s = median_seconds(
        lambda: clv.BetaGeoModel.fit_arrays(frequency, recency, age), repeat, timer
    )
    theirs_s = median_seconds(fit_theirs, repeat, timer)
    ratio = ours_s / theirs_s

    print()
    names = ("r", "alpha", "a", "b")
    rows = [
        ["published", *(f"{PUBLISHED[n]:.3f}" for n in names), "-"],
        ["relationkit", *(f"{ours.params[n]:.3f}" for n in names), fmt_us(ours_s)],
        ["lifetimes", *(f"{their_params[n]:.3f}" for n in names), fmt_us(theirs_s)],
    ]
    print_table(["fit", *names, "time"], rows)
    same = all(round(ours.params[n], 3) == round(their_params[n], 3) for n in names)
    check = Check()
    print()
    print_table(
        ["measure", "ratio", "target", "verdict"],
        [
            [
                "relationkit / lifetimes",
                f"{ratio:.2f}x",
                f"<= {TARGET:.1f}x",
                check.verdict("BG/NBD fit time", ratio, TARGET),
            ]
        ],
    )
    print()
    print(f"same parameters to 3 decimals: {'yes' if same else 'NO'}")
    if not same:
        check.missed.append("same parameters")
    return check.exit_code(args.check)


if __name__ == "__main__":
    sys.exit(main())
