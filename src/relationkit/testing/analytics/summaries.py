"""Analytics: purchase summaries follow the documented rules on every backend."""

from __future__ import annotations

import pytest
from hypothesis import given

import relationkit as rk
from relationkit.domain.scores import SummaryRow
from relationkit.storage.fallback import queries
from relationkit.storage.ports.analytics import AccountDays, SummaryWindow
from relationkit.testing.analytics._support import (
    AnalyticsBase,
    as_of_day,
    expected_days,
    scale,
    utc,
)
from relationkit.testing.strategies._histories import PurchaseHistory, purchase_histories

__all__ = ["SummaryContract"]


def _expected_rows(
    history: PurchaseHistory, ids: list[str], currency: str, unit_days: int
) -> list[SummaryRow]:
    end = as_of_day(history)
    rows = []
    for index, days in expected_days(history, currency).items():
        first, last = min(days), max(days)
        frequency = len(days) - 1
        repeat = sum(days.values()) - days[first]
        rows.append(
            SummaryRow(
                account_id=ids[index],
                frequency=frequency,
                recency=(last - first).days / unit_days,
                T=(end - first).days / unit_days,
                monetary_value=repeat / frequency / scale(currency) if frequency else 0.0,
                transactions=len(days),
                total_value=sum(days.values()) / scale(currency),
                first_day=first,
                last_day=last,
            )
        )
    return sorted(rows, key=lambda row: row.account_id)


def _walk_one_by_one(kit: rk.RelationKit, history: PurchaseHistory) -> bool:
    """Whether pages of one account, walked to the end, hold the rows of one big page."""
    window = SummaryWindow(
        zone=history.zone, as_of=history.as_of, since=history.since, currency="EUR"
    )
    with kit.storage.transaction(write=False) as uow:
        analytics = queries(uow).analytics
        whole = analytics.summary_page(window, limit=1000)
        walked: list[AccountDays] = []
        after: str | None = None
        while True:
            page = analytics.summary_page(window, after=after, limit=1)
            walked.extend(page.rows)
            if page.next_after is None:
                break
            after = page.next_after
    assert (list(whole.rows), None) == (walked, whole.next_after)
    return True


class SummaryContract(AnalyticsBase):
    """``kit.scores.purchase_summary`` and the port's summary pages."""

    def test_summaries_follow_the_rules_for_random_histories(self) -> None:
        """Days in the kit's zone, refunds to as_of, full refunds out, since and as_of bounds.

        The port's pages walked one account at a time give the rows of one
        big page.
        """

        @self.analytics_settings
        @given(history=purchase_histories(max_accounts=5))
        def check(history: PurchaseHistory) -> None:
            with self.history_kit(history) as (kit, ids):
                for unit, days in (("weeks", 7), ("days", 1)):
                    summary = kit.scores.purchase_summary(
                        as_of=history.as_of, since=history.since, unit=unit
                    )
                    assert _expected_rows(history, ids, "EUR", days) == list(summary)
                assert _walk_one_by_one(kit, history)

        check()

    def test_each_currency_is_summarised_apart(self) -> None:
        """With orders in EUR and JPY, each currency's summary counts its own orders only."""

        @self.analytics_settings
        @given(history=purchase_histories(currencies=("EUR", "JPY")))
        def check(history: PurchaseHistory) -> None:
            with self.history_kit(history) as (kit, ids):
                for currency in ("EUR", "JPY"):
                    summary = kit.scores.purchase_summary(
                        as_of=history.as_of, since=history.since, currency=currency
                    )
                    assert _expected_rows(history, ids, currency, 7) == list(summary)

        check()

    def test_a_purchase_at_2330_utc_is_the_next_day_in_paris(self) -> None:
        """23:30 UTC on March 1st is March 2nd in Paris: two purchase days there, one in UTC."""
        for zone, frequency in (("Europe/Paris", 1), ("UTC", 0)):
            with self.fresh(zone) as kit:
                alice = kit.customers.create(name="Alice")
                for n, when in enumerate((utc(2025, 3, 1, 10), utc(2025, 3, 1, 23, 30))):
                    kit.purchases.record(
                        order_id=f"o{n}",
                        customer_id=alice.id,
                        occurred_at=when,
                        total=rk.Money("10.00", "EUR"),
                    )
                [row] = kit.scores.purchase_summary(as_of=utc(2025, 3, 10), unit="days")
                assert (frequency, 20.0) == (row.frequency, row.total_value)

    def test_several_currencies_need_a_currency(self) -> None:
        """Without ``currency=``, a window holding EUR and USD orders raises ValidationError."""
        with self.fresh("UTC") as kit:
            alice = kit.customers.create(name="Alice")
            for n, code in enumerate(("EUR", "USD")):
                kit.purchases.record(
                    order_id=f"o{n}",
                    customer_id=alice.id,
                    occurred_at=utc(2025, 3, 1 + n),
                    total=rk.Money("10.00", code),
                )
            with pytest.raises(rk.errors.ValidationError, match="currency"):
                kit.scores.purchase_summary(as_of=utc(2025, 4, 1))
            # A window holding one of them needs none.
            summary = kit.scores.purchase_summary(as_of=utc(2025, 3, 1, 12))
            assert ("EUR", 1) == (summary.currency, len(list(summary)))
