"""The purchase summary reproduces the CDNOW calibration summary of the literature.

The 1/10 sample of the CDNOW data (``tests/data/cdnow``, 2,357 customers who
first bought in the first quarter of 1997) is recorded through the kit
(memory backend, ``record_many``), each purchase at noon in New York, the
kit's time zone. The calibration period of Fader, Hardie and Lee (2005) ends
with 1997-09-30. The expectations come from the literature (2,357 customers,
1,411 of them without a repeat purchase, 2,457 repeat transactions) and from
an independent pandas computation over the file itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pendulum
import pytest

import relationkit as rk

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"
ZONE = "America/New_York"
END = dt.date(1997, 9, 30)


def _orders() -> Iterator[dict[str, object]]:
    """Every row of the sample file as a ``record_many`` row (one order per row)."""
    seen: dict[tuple[str, str], int] = {}
    for line in SAMPLE.read_text(encoding="ascii").splitlines():
        if not line.strip():
            continue
        customer, _sample, day, _cds, dollars = line.split()
        n = seen.get((customer, day), 0)
        seen[customer, day] = n + 1
        yield {
            "order_id": f"{customer}-{day}-{n}",
            "customer_external_id": f"cdnow-{customer}",
            "occurred_at": pendulum.datetime(
                int(day[:4]), int(day[4:6]), int(day[6:]), 12, tz=ZONE
            ),
            "total": rk.Money(Decimal(dollars), "USD"),
        }


def _expected() -> pd.DataFrame:
    """The calibration summary computed from the file with pandas alone."""
    frame = pd.read_csv(
        SAMPLE,
        sep=r"\s+",
        header=None,
        names=["customer", "sample", "date", "cds", "dollars"],
        dtype={"customer": str, "date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    calibration = frame[frame["date"] <= pd.Timestamp(END)]
    # Grouping sorts by customer then day, so each customer's first row is its first day.
    days = calibration.groupby(["customer", "date"])["dollars"].sum().reset_index()
    per = days.groupby("customer")
    first, last = per["date"].min(), per["date"].max()
    repeat_total = per["dollars"].sum() - per["dollars"].first()
    frequency = per.size() - 1
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first).dt.days / 7,
            "T": (pd.Timestamp(END) - first).dt.days / 7,
            "monetary_value": (repeat_total / frequency.where(frequency > 0)).fillna(0.0),
        }
    )


@pytest.fixture(scope="module")
def cdnow_kit() -> Iterator[rk.RelationKit]:
    """A memory kit holding the whole CDNOW sample (6,919 purchases)."""
    kit = rk.open(clock=rk.FrozenClock(pendulum.datetime(1998, 7, 1, tz="UTC")), timezone=ZONE)
    kit.purchases.record_many(_orders(), batch_size=2000)
    yield kit
    kit.close()


@pytest.fixture(scope="module")
def summary(cdnow_kit: rk.RelationKit) -> pd.DataFrame:
    """The kit's calibration summary, indexed by the CDNOW customer id."""
    frame = cdnow_kit.scores.purchase_summary(as_of=END, unit="weeks").to_pandas()
    owner = {}
    for customer in {o["customer_external_id"] for o in _orders()}:
        found = cdnow_kit.customers.get_by_external_id(str(customer))
        owner[found.account_id] = str(customer).removeprefix("cdnow-")
    frame.index = frame.index.map(owner)
    return frame.sort_index()


def test_counts_match_the_literature(summary: pd.DataFrame) -> None:
    """2,357 customers, 1,411 without a repeat purchase, 2,457 repeat transactions."""
    assert (2357, 1411, 2457) == (
        len(summary),
        int((summary["frequency"] == 0).sum()),
        int(summary["frequency"].sum()),
    )


def test_summary_matches_an_independent_pandas_computation(summary: pd.DataFrame) -> None:
    """Every customer's frequency, recency, T (weeks) and monetary value equal pandas' figures."""
    expected = _expected().sort_index()
    assert list(expected.index) == list(summary.index)
    assert expected["frequency"].tolist() == summary["frequency"].tolist()
    pd.testing.assert_frame_equal(
        expected[["recency", "T", "monetary_value"]],
        summary[["recency", "T", "monetary_value"]],
        check_names=False,
        check_index_type=False,
        rtol=1e-12,
    )


def test_a_first_day_customer_has_the_full_calibration_t(summary: pd.DataFrame) -> None:
    """A customer first buying on 1997-01-01 has T = 272 days = 38.86 weeks, as published."""
    assert 272 / 7 == summary.loc["00004", "T"]
    assert (2, 213 / 7) == (summary.loc["00004", "frequency"], summary.loc["00004", "recency"])


def test_summary_carries_what_the_models_read(cdnow_kit: rk.RelationKit) -> None:
    """The summary says its unit, as_of (end of 1997-09-30 in New York), since and currency."""
    result = cdnow_kit.scores.purchase_summary(as_of=END, unit="weeks")
    end = pendulum.datetime(1997, 10, 1, tz=ZONE).subtract(microseconds=1).in_timezone("UTC")
    assert ("weeks", end, None, "USD") == (result.unit, result.as_of, result.since, result.currency)
