"""Where scores and analyses stop: never after now, and local days that start where they exist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relationkit as rk
from relationkit.errors import ValidationError
from relationkit.events import ScoreChanged
from relationkit.services.scores._local import day_end, day_start
from relationkit.testing.base import T0

HAVANA = "America/Havana"
"""Falls back 01:00 -> 00:00 on 2025-11-02 (two midnights), springs 00:00 -> 01:00 on 2025-03-09."""

LATER = pendulum.duration(microseconds=1)


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, minute, second, us, tz="UTC")


def _buy(kit: rk.RelationKit, who: rk.Customer, order_id: str, at: pendulum.DateTime) -> None:
    kit.purchases.record(
        order_id=order_id, customer_id=who.id, occurred_at=at, total=rk.Money("10.00", "USD")
    )


def test_a_refresh_after_now_is_refused_and_changes_nothing(
    kit: rk.RelationKit, clock: rk.FrozenClock
) -> None:
    """A future as_of (an instant, or a later day) raises; nothing is kept.

    Once the clock reaches a later instant, a refresh there replaces the current score.
    """
    person = kit.customers.create(email="f@example.com")
    _buy(kit, person, "1", T0.subtract(days=30))
    seen: list[ScoreChanged] = []
    kit.hooks.on(ScoreChanged, seen.append)
    kit.scores.refresh(as_of=T0, kinds=["churn"])
    for future in (T0.add(days=60), T0 + LATER, T0.date().add(days=1)):
        with pytest.raises(ValidationError) as caught:
            kit.scores.refresh(as_of=future, kinds=["churn"])
        assert "as_of" == caught.value.field
    assert [T0] == [s.as_of for s in kit.scores.history(person.id, "churn")]
    assert (T0, 1) == (kit.scores.kept(person.id, "churn").as_of, len(seen))  # type: ignore[union-attr]
    clock.set(T0.add(hours=1))
    assert {"churn": 1} == kit.scores.refresh(as_of=None, kinds=["churn"]).computed
    assert T0.add(hours=1) == kit.scores.kept(person.id, "churn").as_of  # type: ignore[union-attr]


def test_yesterday_today_and_now_are_accepted_everywhere(kit: rk.RelationKit) -> None:
    """The end of yesterday, today's date (up to now) and now itself: every analysis runs."""
    person = kit.customers.create(email="y@example.com")
    _buy(kit, person, "1", T0.subtract(days=3))
    model = rk.LeadModel(rules=[rk.EngagementRule.purchase("buy", 5)], half_life_days=None)
    yesterday = T0.date().subtract(days=1)
    for as_of in (yesterday, T0):
        assert 5 == kit.scores.lead(person.id, model, as_of=as_of).score
        assert [person.account_id] == [
            r.account_id for r in kit.scores.purchase_summary(as_of=as_of)
        ]
    assert pendulum.datetime(2026, 1, 4, 23, 59, 59, 999_999, tz="UTC") == (
        kit.scores.churn(person.id, as_of=yesterday).as_of
    )
    # Today's date stands for now: the rest of the day has not happened yet.
    today = kit.scores.purchase_summary(as_of=T0.date())
    assert (T0, T0.date()) == (today.as_of, today.as_of_day)
    assert T0 == kit.scores.churn(person.id, as_of=T0.date()).as_of


def test_scores_and_analyses_refuse_an_as_of_after_now(kit: rk.RelationKit) -> None:
    """lead, churn, health, the summary, RFM and historical CLV all raise on a future as_of."""
    person = kit.customers.create(email="s@example.com")
    model = rk.LeadModel(rules=[rk.EngagementRule.purchase("buy", 5)])
    calls: dict[str, Callable[[pendulum.DateTime], object]] = {
        "lead": lambda a: kit.scores.lead(person.id, model, as_of=a),
        "churn": lambda a: kit.scores.churn(person.id, as_of=a),
        "health": lambda a: kit.scores.health(person.id, as_of=a),
        "summary": lambda a: kit.scores.purchase_summary(as_of=a),
        "rfm": lambda a: kit.scores.rfm(as_of=a, currency="EUR"),
        "clv": lambda a: kit.scores.historical_clv(as_of=a, currency="EUR"),
    }
    refused: dict[str, str] = {}
    for name, call in calls.items():
        with pytest.raises(ValidationError) as caught:
            call(T0 + LATER)
        refused[name] = caught.value.field
    assert dict.fromkeys(calls, "as_of") == refused


def test_the_start_of_a_day_with_midnight_twice_is_the_first_midnight() -> None:
    """Havana repeats 00:00-01:00 on 2025-11-02: the day starts at 00:00 CDT (04:00 UTC)."""
    assert (_utc(2025, 11, 2, 4), _utc(2025, 11, 2, 3, 59, 59, 999_999)) == (
        day_start(dt.date(2025, 11, 2), HAVANA),
        day_end(dt.date(2025, 11, 1), HAVANA),
    )
    # The day holds 25 hours: it ends at the next midnight, 05:00 UTC on the 3rd.
    assert _utc(2025, 11, 3, 4, 59, 59, 999_999) == day_end(dt.date(2025, 11, 2), HAVANA)


@pytest.mark.parametrize(
    ("zone", "day", "first"),
    [
        (HAVANA, dt.date(2025, 3, 9), _utc(2025, 3, 9, 5)),  # 01:00 CDT
        ("America/Santiago", dt.date(2025, 9, 7), _utc(2025, 9, 7, 4)),  # 01:00 -03
        ("Asia/Beirut", dt.date(2024, 3, 31), _utc(2024, 3, 30, 22)),  # 01:00 EEST
    ],
)
def test_a_day_without_midnight_starts_at_its_first_instant(
    zone: str, day: dt.date, first: pendulum.DateTime
) -> None:
    """Where clocks spring over midnight, the day starts at the transition, at 01:00 local."""
    assert (first, first - LATER) == (day_start(day, zone), day_end(day - dt.timedelta(1), zone))
    assert (dt.time(1), day) == (
        first.in_timezone(zone).time(),
        first.in_timezone(zone).date(),
    )


@given(
    st.sampled_from(
        (HAVANA, "America/Santiago", "Asia/Beirut", "Europe/Paris", "Pacific/Apia", "Asia/Gaza")
    ),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
)
def test_day_start_is_the_first_instant_on_or_after_the_day(zone: str, day: dt.date) -> None:
    """The instant just before day_start is on an earlier local day, day_start itself is not."""
    tz = ZoneInfo(zone)
    start = day_start(day, zone)
    before = (start - LATER).astimezone(tz).date()
    assert (True, True) == (before < day, start.astimezone(tz).date() >= day)
    assert start - LATER == day_end(day - dt.timedelta(days=1), zone)


def test_a_date_window_follows_the_first_midnight_of_havana() -> None:
    """An order at 00:30 of the first pass of Nov 2nd is on Nov 2nd for as_of and since."""
    kit = rk.open(clock=rk.FrozenClock(_utc(2025, 12, 1)), timezone=HAVANA)
    late, early = kit.customers.create(name="Late"), kit.customers.create(name="Early")
    _buy(kit, early, "1", _utc(2025, 11, 2, 3, 30))  # 23:30 CDT on Nov 1st
    _buy(kit, late, "2", _utc(2025, 11, 2, 4, 30))  # 00:30 CDT on Nov 2nd
    summary = kit.scores.purchase_summary(as_of=dt.date(2025, 11, 1), unit="days")
    assert [(early.account_id, dt.date(2025, 11, 1))] == [
        (r.account_id, r.first_day) for r in summary
    ]
    since = kit.scores.purchase_summary(since=dt.date(2025, 11, 2), unit="days")
    assert (_utc(2025, 11, 2, 4), [late.account_id]) == (
        since.since,
        [r.account_id for r in since],
    )
    assert (None, dt.date(2025, 11, 2)) == (
        kit.scores.churn(late.id, as_of=dt.date(2025, 11, 1)).last_purchase,
        kit.scores.churn(late.id, as_of=dt.date(2025, 11, 2)).last_purchase,
    )


def test_a_date_outside_the_accepted_range_is_refused(kit: rk.RelationKit) -> None:
    """The first and last dates of datetime raise ValidationError, not OverflowError."""
    for day in (dt.date.min, dt.date.max):
        with pytest.raises(ValidationError) as caught:
            kit.scores.purchase_summary(since=day)
        assert "since" == caught.value.field
