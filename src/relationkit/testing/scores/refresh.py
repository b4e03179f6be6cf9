"""A refresh through the kit keeps the same scores on every backend.

Added in 0.3.0.
"""

from __future__ import annotations

import relationkit as rk
from relationkit.domain.fields import F
from relationkit.domain.scoring import FitRule, LeadModel, StageThreshold
from relationkit.events import Event, ScoreChanged
from relationkit.storage.ports.scores import KeptScores
from relationkit.testing.base import T0, SuiteBase, eur

__all__ = ["RefreshScores"]


class RefreshScores(SuiteBase):
    """Scores, bands, events and stage moves of a refresh, and its idempotence."""

    def test_a_refresh_keeps_scores_moves_leads_and_runs_once_per_as_of(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Kept scores equal the computed ones; a repeat of the same as_of does nothing."""
        with kit.storage.transaction(write=False) as uow:
            if not isinstance(uow, KeptScores):
                import pytest

                with pytest.raises(rk.errors.StorageError):
                    kit.scores.refresh(as_of=T0)
                return
        model = LeadModel(
            rules=[FitRule(name="retail", when=F("attributes.industry") == "retail", points=70)],
            thresholds=[StageThreshold(at_least=60, to_stage="qualified")],
        )
        shop = kit.customers.create(email="shop@example.com", attributes={"industry": "retail"})
        buyer = kit.customers.create(email="buyer@example.com")
        for n, days in enumerate((30, 20, 10)):
            kit.purchases.record(
                order_id=f"k-{n}",
                customer_id=buyer.id,
                occurred_at=T0.subtract(days=days),
                total=eur("10.00"),
            )
        first = kit.scores.refresh(as_of=T0, lead=model, page_size=1)
        again = kit.scores.refresh(as_of=T0, lead=model, page_size=1)
        kept = {
            (p.account_id, kind): (kit.scores.kept(p.id, kind).score)  # type: ignore[union-attr]
            for p in (shop, buyer)
            for kind in ("lead", "churn")
        }
        assert {
            (shop.account_id, "lead"): kit.scores.lead(shop.id, model, as_of=T0).score,
            (shop.account_id, "churn"): 0,
            (buyer.account_id, "lead"): 0,
            (buyer.account_id, "churn"): kit.scores.churn(buyer.id, as_of=T0).score,
        } == kept
        assert (1, {"lead": 0, "churn": 0, "health": 0}) == (first.stage_moves, again.computed)
        assert "qualified" == kit.lifecycle.stage(shop.id)
        assert 4 == sum(isinstance(e, ScoreChanged) for e in events)
