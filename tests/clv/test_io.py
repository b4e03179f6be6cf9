"""Inputs in every accepted shape, saved models, plots, and the optional extras."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clv.cdnow import CALIBRATION_END, CALIBRATION_START, Summary, transactions
from clv.conftest import FIT_TIME
from relationkit import clv
from relationkit.errors import ValidationError


def test_rows_frames_and_arrays_fit_the_same(weeks: Summary, bgnbd: clv.BetaGeoModel) -> None:
    """Summary rows, a DataFrame (with its unit) and plain arrays give the same estimates."""
    frame = pd.DataFrame([row.__dict__ for row in weeks])
    from_frame = clv.BetaGeoModel.fit(frame, unit="weeks", as_of=CALIBRATION_END)
    from_arrays = clv.BetaGeoModel.fit_arrays(
        frame["frequency"].to_numpy(), frame["recency"].to_numpy(), frame["T"].to_numpy()
    )
    for model in (from_frame, from_arrays):
        assert bgnbd.params == pytest.approx(model.params)
    assert (CALIBRATION_END, None) == (from_frame.window.as_of, from_frame.window.since)


def test_keywords_override_the_summary_attributes(weeks: Summary) -> None:
    """unit= and window keywords win over the summary's own attributes."""
    data = clv.SummaryData.from_arrays(
        [r.frequency for r in weeks], [r.recency * 7 for r in weeks], [r.T * 7 for r in weeks]
    )
    model = clv.BetaGeoModel.fit(
        data, unit="days", as_of=dt.date(1997, 9, 30), since=dt.date(1997, 1, 1)
    )
    assert (
        clv.DataWindow(
            unit="days",
            as_of=dt.date(1997, 9, 30),
            since=dt.date(1997, 1, 1),
            fitted_at=model.window.fitted_at,
        )
        == model.window
    )


def test_rows_missing_an_attribute_are_refused() -> None:
    """A row without ``T`` is a ValidationError naming the row."""

    class Row:
        account_id = "acc_1"
        frequency = 1
        recency = 2.0
        monetary_value = 3.0

    with pytest.raises(ValidationError) as caught:
        clv.BetaGeoModel.fit([Row()], unit="weeks")
    assert "summary[0]" == caught.value.field


@pytest.mark.parametrize("fixture", ["bgnbd", "pareto", "spend"])
def test_models_round_trip_through_json(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Saved with parameters, errors, unit, window and fit time; restored equal."""
    model = request.getfixturevalue(fixture)
    assert model == type(model).from_json(model.to_json())
    path = tmp_path / "model.json"
    model.save(path)
    assert model == type(model).load(path)
    assert model == clv.load_model(path)
    assert (FIT_TIME, CALIBRATION_END, CALIBRATION_START) == (
        model.window.fitted_at,
        model.window.as_of,
        model.window.since,
    )


def test_loading_the_wrong_kind_is_refused(bgnbd: clv.BetaGeoModel) -> None:
    """A BG/NBD document is not a Pareto/NBD model; garbage is not a model."""
    with pytest.raises(ValidationError):
        clv.ParetoNBDModel.from_json(bgnbd.to_json())
    with pytest.raises(ValidationError):
        clv.model_from_json("[1, 2]")


def test_restored_model_predicts_the_same(bgnbd: clv.BetaGeoModel, weeks: Summary) -> None:
    """Scores recomputed from a saved model equal the original's."""
    restored = clv.model_from_json(bgnbd.to_json())
    assert isinstance(restored, clv.BetaGeoModel)
    horizon = clv.Horizon(months=3)
    assert bgnbd.predict(weeks, horizon) == restored.predict(weeks, horizon)


def _checks(model: clv.BetaGeoModel) -> tuple[clv.TrackingCheck, clv.HoldoutCheck]:
    customers = clv.customer_dates((c, d) for c, days in transactions().items() for d in days)
    end = dt.date(1998, 6, 30)
    return (
        clv.tracking(
            model, customers, start=CALIBRATION_START, calibration_end=CALIBRATION_END, end=end
        ),
        clv.holdout_comparison(model, customers, calibration_end=CALIBRATION_END, holdout_end=end),
    )


def test_checks_save_png_files(bgnbd: clv.BetaGeoModel, tmp_path: Path) -> None:
    """With matplotlib, both checks write PNG files."""
    checks: tuple[clv.TrackingCheck | clv.HoldoutCheck, ...] = _checks(bgnbd)
    for n, check in enumerate(checks):
        path = tmp_path / f"check-{n}.png"
        check.save_png(path)
        assert b"\x89PNG\r\n\x1a\n" == path.read_bytes()[:8]


def test_png_without_matplotlib_names_the_extra(
    bgnbd: clv.BetaGeoModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without matplotlib, save_png raises ImportError naming relationkit[plot]."""
    tracking, _ = _checks(bgnbd)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"relationkit\[plot\]"):
        tracking.save_png(tmp_path / "t.png")


def test_customer_dates_merge_same_day_purchases() -> None:
    """Two purchases on one day are one transaction; customers sorted by id."""
    days = clv.customer_dates(
        [
            ("b", dt.date(2024, 1, 2)),
            ("a", dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)),
            ("a", dt.date(2024, 1, 1)),
            ("a", dt.date(2024, 1, 5)),
        ]
    )
    assert [
        clv.CustomerDates(account_id="a", days=(dt.date(2024, 1, 1), dt.date(2024, 1, 5))),
        clv.CustomerDates(account_id="b", days=(dt.date(2024, 1, 2),)),
    ] == days


_BLOCK_NUMPY = textwrap.dedent(
    """
    import sys

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("numpy", "scipy"):
                raise ImportError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, Block())
    import relationkit
    assert "numpy" not in sys.modules and "scipy" not in sys.modules
    try:
        from relationkit import clv
    except ImportError as exc:
        print(exc)
    else:
        raise SystemExit("imported without numpy")
    """
)


def test_core_package_works_without_numpy() -> None:
    """``import relationkit`` needs no numpy; ``relationkit.clv`` names its extra."""
    done = subprocess.run(
        [sys.executable, "-c", _BLOCK_NUMPY], capture_output=True, text=True, check=False
    )
    assert 0 == done.returncode, done.stderr
    assert "pip install 'relationkit[clv]'" in done.stdout


def test_core_import_does_not_load_numpy() -> None:
    """A plain ``import relationkit`` leaves numpy and scipy unimported."""
    code = "import sys, relationkit; print(sorted({'numpy', 'scipy'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "[]" == done.stdout.strip()


def test_predictions_are_arrays_of_the_input_length(bgnbd: clv.BetaGeoModel) -> None:
    """Scalars and lists both come back as one-dimensional arrays."""
    assert (1,) == bgnbd.probability_alive(2, 10.0, 20.0).shape
    assert (3,) == np.shape(bgnbd.conditional_expected_purchases(5, [0, 1, 2], [0, 1, 2], [9] * 3))
