"""Analytics: RFM scores and segments follow the documented ranking on every backend."""

from __future__ import annotations

from hypothesis import given

from relationkit.domain.scores import quintile, segment_of
from relationkit.storage.fallback import queries
from relationkit.storage.ports.analytics import SummaryWindow
from relationkit.storage.reference.analytics import ReferenceAnalytics
from relationkit.testing.analytics._support import AnalyticsBase, expected_days
from relationkit.testing.strategies._histories import PurchaseHistory, purchase_histories

__all__ = ["RfmContract"]

Scores = tuple[str, int, int, int, str]


def _expected(history: PurchaseHistory, ids: list[str]) -> list[Scores]:
    """Rank every account on each measure directly, ties by account id, then score."""
    days = {ids[i]: d for i, d in expected_days(history, "EUR").items()}
    n = len(days)
    orders: dict[str, list[str]] = {
        "r": [a for _day, a in sorted((max(d), a) for a, d in days.items())],
        "f": [a for _n, a in sorted((len(d), a) for a, d in days.items())],
        "m": [a for _v, a in sorted((sum(d.values()), a) for a, d in days.items())],
    }
    score = {
        measure: {a: quintile(rank, n) for rank, a in enumerate(ordered, start=1)}
        for measure, ordered in orders.items()
    }
    rows = []
    for account in sorted(days):
        r, f, m = score["r"][account], score["f"][account], score["m"][account]
        rows.append((account, r, f, m, segment_of(r, f, m)))
    return rows


class RfmContract(AnalyticsBase):
    """``kit.scores.rfm`` and the port's cut keys."""

    def test_rfm_scores_rank_every_account_for_random_histories(self) -> None:
        """Scores equal a direct quintile ranking of all accounts; segments follow the map.

        The store's cut keys are also those the reference computes from the
        core port.
        """

        @self.analytics_settings
        @given(history=purchase_histories(max_accounts=7, max_orders=14))
        def check(history: PurchaseHistory) -> None:
            with self.history_kit(history) as (kit, ids):
                scores = kit.scores.rfm(as_of=history.as_of, since=history.since)
                actual = [(s.account_id, s.r, s.f, s.m, s.segment) for s in scores]
                assert _expected(history, ids) == actual
                assert len(actual) == scores.population
                window = SummaryWindow(
                    zone=history.zone, as_of=history.as_of, since=history.since, currency="EUR"
                )
                with kit.storage.transaction(write=False) as uow:
                    cuts = queries(uow).analytics.rfm_cuts(window)
                    assert ReferenceAnalytics(uow).rfm_cuts(window) == cuts

        check()
