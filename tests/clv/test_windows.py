"""The unit and data window ``clv`` reads from the kit's purchase summary and its DataFrame."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pendulum
import pytest

import relationkit as rk
from relationkit import clv
from relationkit.clv._data import coerce_summary
from relationkit.errors import ValidationError

AS_OF = dt.date(2026, 2, 28)
SINCE = dt.date(2026, 1, 1)
ZONES = ["UTC", "America/New_York", "Asia/Tokyo"]


def _kit(zone: str) -> rk.RelationKit:
    """A kit in ``zone`` with three customers buying in January and February 2026."""
    kit = rk.open(clock=rk.FrozenClock(pendulum.datetime(2026, 6, 1, tz="UTC")), timezone=zone)
    for i, days in enumerate(((2, 9, 30), (5,), (3, 20, 41, 50))):
        customer = kit.customers.create(name=f"c{i}", external_id=f"e{i}")
        for day in days:
            kit.purchases.record(
                order_id=f"{i}-{day}",
                customer_id=customer.id,
                occurred_at=pendulum.datetime(2026, 1, 1, 12, tz=zone).add(days=day),
                total=rk.Money("10.00", "EUR"),
            )
    return kit


def _window(data: clv.SummaryData) -> tuple[str, dt.date | None, dt.date | None]:
    return data.unit, data.as_of, data.since


@pytest.mark.parametrize("unit", ["days", "weeks"])
def test_to_pandas_keeps_the_unit_and_window(unit: str) -> None:
    """A ``to_pandas()`` frame is read in its own unit, with its as_of and since, like the rows."""
    summary = _kit("UTC").scores.purchase_summary(as_of=AS_OF, since=SINCE, unit=unit)
    from_rows = coerce_summary(summary)
    from_frame = coerce_summary(summary.to_pandas())
    assert (unit, AS_OF, SINCE) == _window(from_frame)
    assert _window(from_rows) == _window(from_frame)
    assert from_rows.T.tolist() == from_frame.T.tolist()


def test_frame_and_rows_predict_the_same(bgnbd: clv.BetaGeoModel) -> None:
    """A weekly model scores a days ``to_pandas()`` frame exactly as the days summary's rows."""
    summary = _kit("UTC").scores.purchase_summary(as_of=AS_OF, unit="days")
    horizon = clv.Horizon(months=1)
    assert bgnbd.predict(summary, horizon) == bgnbd.predict(summary.to_pandas(), horizon)


def test_a_summary_without_a_unit_needs_one() -> None:
    """A plain DataFrame or a list of rows does not say its unit: unit= is required, not guessed."""
    summary = _kit("UTC").scores.purchase_summary(as_of=AS_OF, unit="days")
    plain = pd.DataFrame(summary.to_pandas().to_dict())
    for unlabelled in (plain, list(summary)):
        with pytest.raises(ValidationError) as caught:
            coerce_summary(unlabelled)
        assert "unit" == caught.value.field
        assert "days" == coerce_summary(unlabelled, unit="days").unit


def test_spend_needs_no_unit(spend: clv.GammaGammaModel) -> None:
    """Gamma-Gamma has no time scale: it scores an unlabelled frame as the labelled one."""
    frame = _kit("UTC").scores.purchase_summary(as_of=AS_OF, unit="days").to_pandas()
    assert spend.predict(frame) == spend.predict(pd.DataFrame(frame.to_dict()))


@pytest.mark.parametrize("zone", ZONES)
def test_window_days_are_the_kits_local_days(zone: str) -> None:
    """as_of and since are calendar days in the kit's zone, not the UTC dates of the instants."""
    summary = _kit(zone).scores.purchase_summary(as_of=AS_OF, since=SINCE, unit="weeks")
    assert ("weeks", AS_OF, SINCE) == _window(coerce_summary(summary))
    assert ("weeks", AS_OF, SINCE) == _window(coerce_summary(summary.to_pandas()))


def test_an_instant_as_of_counts_from_its_local_day() -> None:
    """02:00 UTC on 1 March is still 28 February in New York: the window ends on the 28th."""
    kit = _kit("America/New_York")
    summary = kit.scores.purchase_summary(
        as_of=pendulum.datetime(2026, 3, 1, 2, tz="UTC"), unit="weeks"
    )
    assert AS_OF == summary.as_of_day
    assert AS_OF == coerce_summary(summary).as_of
    assert AS_OF == coerce_summary(summary.to_pandas()).as_of


@pytest.mark.parametrize("zone", ZONES)
def test_calendar_horizons_start_on_the_local_day(zone: str, bgnbd: clv.BetaGeoModel) -> None:
    """One month from 28 February is 28 days (to 28 March) in every zone, not 31 from 1 March."""
    summary = _kit(zone).scores.purchase_summary(as_of=AS_OF, unit="weeks")
    calendar = bgnbd.predict(summary, clv.Horizon(months=1))
    assert bgnbd.predict(summary, 4.0) == calendar
