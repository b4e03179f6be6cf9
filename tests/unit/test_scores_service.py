"""``kit.scores`` on memory: refunds, windows, validation, RFM ties, historical CLV, pandas."""

from __future__ import annotations

import datetime as dt
import sys

import pendulum
import pytest

import relationkit as rk
from relationkit.domain.scores import HistoricalClv


def utc(month: int, day: int, hour: int = 12) -> pendulum.DateTime:
    """An instant of 2025 in UTC."""
    return pendulum.datetime(2025, month, day, hour, tz="UTC")


def buy(
    kit: rk.RelationKit, customer_id: str, order_id: str, when: pendulum.DateTime, eur: str
) -> None:
    """Record an order in EUR."""
    kit.purchases.record(
        order_id=order_id, customer_id=customer_id, occurred_at=when, total=rk.Money(eur, "EUR")
    )


@pytest.fixture
def alice(kit: rk.RelationKit) -> str:
    """A customer with four orders on three days; one refunded in full, one in part."""
    alice = kit.customers.create(name="Alice").id
    buy(kit, alice, "o1", utc(3, 1), "10.00")
    buy(kit, alice, "o2", utc(3, 8), "30.00")  # refunded in full: the day does not count
    buy(kit, alice, "o3", utc(3, 15), "20.00")  # 5.00 back
    buy(kit, alice, "o4", utc(3, 15, 18), "0.00")  # a free order still counts
    buy(kit, alice, "o5", utc(3, 22), "8.00")
    kit.purchases.refund(
        "o2", refund_id="r1", amount=rk.Money("30.00", "EUR"), occurred_at=utc(3, 9)
    )
    kit.purchases.refund(
        "o3", refund_id="r2", amount=rk.Money("5.00", "EUR"), occurred_at=utc(3, 16)
    )
    # After the as_of of the tests: ignored by them.
    kit.purchases.refund(
        "o5", refund_id="r3", amount=rk.Money("8.00", "EUR"), occurred_at=utc(4, 2)
    )
    return alice


def test_refunds_net_days_and_full_refunds_drop_out(kit: rk.RelationKit, alice: str) -> None:
    """Days 1, 15 (15.00 net, with a free order) and 22 count; day 8 (refunded in full) does not."""
    [row] = kit.scores.purchase_summary(as_of=dt.date(2025, 3, 31), unit="days")
    assert (2, 21.0, 30.0, (15.0 + 8.0) / 2, 3, 33.0) == (
        row.frequency,
        row.recency,
        row.T,
        row.monetary_value,
        row.transactions,
        row.total_value,
    )


def test_a_refund_after_as_of_counts_once_as_of_passes_it(kit: rk.RelationKit, alice: str) -> None:
    """With as_of after the refund of o5, its day leaves: two transactions remain."""
    [row] = kit.scores.purchase_summary(as_of=dt.date(2025, 4, 30), unit="days")
    assert (1, 14.0, 60.0, 15.0) == (row.frequency, row.recency, row.T, row.monetary_value)


def test_since_drops_earlier_purchases(kit: rk.RelationKit, alice: str) -> None:
    """since = March 10th (its start in the kit's zone): the first day is March 15th."""
    summary = kit.scores.purchase_summary(as_of=dt.date(2025, 3, 31), since=dt.date(2025, 3, 10))
    [row] = summary
    assert (pendulum.datetime(2025, 3, 10, tz="UTC"), dt.date(2025, 3, 15), 1, 1.0) == (
        summary.since,
        row.first_day,
        row.frequency,
        row.recency,
    )


def test_the_summary_says_what_it_counts(kit: rk.RelationKit, alice: str) -> None:
    """unit, as_of (end of the day in the kit's zone), since and currency; iterable twice."""
    summary = kit.scores.purchase_summary(
        as_of=dt.date(2025, 3, 31), unit="weeks", since=utc(3, 1, 0)
    )
    end = pendulum.datetime(2025, 3, 31, 23, 59, 59, 999_999, tz="UTC")
    assert ("weeks", end, utc(3, 1, 0), "EUR") == (
        summary.unit,
        summary.as_of,
        summary.since,
        summary.currency,
    )
    assert list(summary) == list(summary)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"as_of": dt.datetime(2025, 3, 1)}, "as_of"),
        ({"as_of": utc(3, 1), "since": utc(3, 2)}, "since"),
        ({"as_of": utc(3, 1), "currency": "XXX1"}, "currency"),
        ({"as_of": utc(3, 1), "unit": "months"}, "unit"),
    ],
)
def test_bad_arguments_raise_validation_errors(
    kit: rk.RelationKit, kwargs: dict[str, object], field: str
) -> None:
    """A naive as_of, since after as_of, an unknown currency or unit name the field."""
    with pytest.raises(rk.errors.ValidationError) as caught:
        kit.scores.purchase_summary(**kwargs)  # type: ignore[arg-type]
    assert field == caught.value.field


def test_an_empty_store_gives_empty_results(kit: rk.RelationKit) -> None:
    """No purchases: no rows, no currency, a population of 0, an overall CLV of 0."""
    summary = kit.scores.purchase_summary(as_of=utc(3, 1))
    rfm = kit.scores.rfm(as_of=utc(3, 1))
    overall = kit.scores.historical_clv(as_of=utc(3, 1)).overall()
    assert ([], None, [], 0, 0.0, 0) == (
        list(summary),
        summary.currency,
        list(rfm),
        rfm.population,
        overall.value,
        overall.accounts,
    )


def test_rfm_ties_break_by_account_id(kit: rk.RelationKit) -> None:
    """Two accounts alike in every measure: the smaller id scores 1s, the other 5s."""
    ids = []
    for n in range(2):
        customer = kit.customers.create(name=f"C{n}")
        buy(kit, customer.id, f"o{n}", utc(3, 1), "10.00")
        ids.append(customer.account_id)
    first, second = sorted(ids)
    scores = {
        row.account_id: (row.r, row.f, row.m, row.segment)
        for row in kit.scores.rfm(as_of=utc(3, 2))
    }
    assert {first: (1, 1, 1, "lost"), second: (5, 5, 5, "champions")} == scores


def test_historical_clv_shows_its_factors(kit: rk.RelationKit, alice: str) -> None:
    """33.00 over 3 days in a 31-day tenure: 11.00 x 3/31 per day x 31 days; overall alike."""
    values = kit.scores.historical_clv(as_of=dt.date(2025, 3, 31), unit="days")
    [row] = values
    account = kit.customers.get(alice).account_id
    assert (
        HistoricalClv(
            account_id=account,
            average_value=11.0,
            purchase_frequency=3 / 31,
            lifespan=31.0,
            value=11.0 * (3 / 31) * 31.0,
            transactions=3,
            accounts=1,
            unit="days",
        )
        == row
    )
    assert (11.0, 3 / 31, 31.0, 1) == (
        values.overall().average_value,
        values.overall().purchase_frequency,
        values.overall().lifespan,
        values.overall().accounts,
    )


def test_to_pandas_without_pandas_says_how_to_install_it(
    kit: rk.RelationKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With pandas missing, to_pandas() raises ImportError naming the extra."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    summary = kit.scores.purchase_summary(as_of=utc(3, 1))
    with pytest.raises(ImportError, match=r"relationkit\[pandas\]"):
        summary.to_pandas()


def test_to_pandas_has_the_lifetimes_columns(kit: rk.RelationKit, alice: str) -> None:
    """Indexed by account id, columns frequency, recency, T, monetary_value; attrs carry unit."""
    frame = kit.scores.purchase_summary(as_of=dt.date(2025, 3, 31), unit="days").to_pandas()
    assert (["frequency", "recency", "T", "monetary_value"], "account_id", "days") == (
        list(frame.columns),
        frame.index.name,
        frame.attrs["unit"],
    )
    assert [2, 21.0, 30.0, 11.5] == frame.iloc[0].tolist()
