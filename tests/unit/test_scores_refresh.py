"""Keeping scores: refresh in pages, idempotent and resumable, snapshots and ScoreChanged."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.domain.fields import F
from relationkit.domain.scoring import FitRule, LeadModel, StageThreshold
from relationkit.errors import HookError, ValidationError
from relationkit.events import Event, ScoreChanged
from relationkit.testing.base import T0

LEAD = LeadModel(
    rules=[FitRule(name="retail", when=F("attributes.industry") == "retail", points=70)],
    thresholds=[StageThreshold(at_least=60, to_stage="qualified")],
)


def _people(kit: rk.RelationKit, n: int) -> list[rk.Customer]:
    return [
        kit.customers.create(
            email=f"p{i}@example.com", attributes={"industry": "retail" if i % 2 else "bank"}
        )
        for i in range(n)
    ]


def test_refresh_keeps_current_scores_and_snapshots(kit: rk.RelationKit) -> None:
    """Every account gets a current row and one snapshot per kind; thresholds move leads."""
    people = _people(kit, 5)
    report = kit.scores.refresh(as_of=T0, lead=LEAD, page_size=2)
    assert (5, {"lead": 5, "churn": 5, "health": 0}, 2) == (
        report.accounts,
        report.computed,
        report.stage_moves,
    )
    assert (
        [(0, "cold"), (70, "hot")]
        == [
            (kit.scores.kept(p.id, "lead").score, kit.scores.kept(p.id, "lead").band)  # type: ignore[union-attr]
            for p in people[:2]
        ]
    )
    assert ["lead", "qualified"] == [kit.lifecycle.stage(p.id) for p in people[:2]]
    assert [T0] == [s.as_of for s in kit.scores.history(people[1].id, "lead")]


def test_a_second_refresh_for_the_same_as_of_changes_nothing(
    kit: rk.RelationKit, events: list[Event]
) -> None:
    """Idempotent for one as_of: nothing recomputed, no event, no new snapshot."""
    people = _people(kit, 3)
    kit.scores.refresh(as_of=T0, lead=LEAD)
    before = len(events)
    again = kit.scores.refresh(as_of=T0, lead=LEAD)
    assert ({"lead": 0, "churn": 0, "health": 0}, {"lead": 3, "churn": 3, "health": 0}) == (
        again.computed,
        again.skipped,
    )
    assert (before, 1) == (len(events), len(kit.scores.history(people[0].id, "lead")))


def test_a_refresh_interrupted_after_a_page_resumes_where_it_stopped(clock: rk.FrozenClock) -> None:
    """A crash after the first page committed: the rerun skips that page and does the rest."""
    kit = rk.open(clock=clock)
    _people(kit, 4)
    armed = [True]

    def crash(event: ScoreChanged) -> None:
        if armed:
            armed.clear()
            raise RuntimeError("worker died")

    kit.hooks.on(ScoreChanged, crash)
    with pytest.raises(HookError):
        kit.scores.refresh(as_of=T0, kinds=["churn"], page_size=2)
    resumed = kit.scores.refresh(as_of=T0, kinds=["churn"], page_size=2)
    assert ({"churn": 2}, {"churn": 2}) == (resumed.skipped, resumed.computed)


def test_crossing_into_another_band_emits_score_changed(
    kit: rk.RelationKit, clock: rk.FrozenClock
) -> None:
    """A later as_of in another band emits ScoreChanged with both sides; the same band: none."""
    person = kit.customers.create(email="b@example.com")
    for n, days in enumerate((30, 20, 10)):
        kit.purchases.record(
            order_id=f"o-{n}",
            customer_id=person.id,
            occurred_at=T0.subtract(days=days),
            total=rk.Money("10", "EUR"),
        )
    seen: list[ScoreChanged] = []
    kit.hooks.on(ScoreChanged, seen.append)
    clock.set(T0.add(days=60))
    kit.scores.refresh(as_of=T0, kinds=["churn"])
    kit.scores.refresh(as_of=T0.add(days=2), kinds=["churn"])
    kit.scores.refresh(as_of=T0.add(days=60), kinds=["churn"])
    assert [(None, "low", None, 0), ("low", "medium", 10, 67)] == [
        (e.old_band, e.new_band, e.old_score, e.new_score) for e in seen
    ]
    assert ("churn", T0.add(days=60)) == (seen[-1].kind, seen[-1].as_of)


def test_back_filling_an_older_as_of_keeps_the_current_score(kit: rk.RelationKit) -> None:
    """History is ordered by as_of; an older refresh adds a snapshot, not a current row."""
    person = kit.customers.create(email="h@example.com")
    kit.scores.refresh(as_of=T0, kinds=["churn"])
    kit.scores.refresh(as_of=T0.subtract(days=7), kinds=["churn"])
    assert [T0.subtract(days=7), T0] == [s.as_of for s in kit.scores.history(person.id, "churn")]
    assert T0 == kit.scores.kept(person.id, "churn").as_of  # type: ignore[union-attr]


def test_health_is_kept_for_b2b_accounts_only(kit: rk.RelationKit) -> None:
    """A B2C account has no health score; a B2B one has, and top() ranks by score then id."""
    solo = kit.customers.create(email="s@example.com")
    acme = kit.accounts.create(name="ACME", kind=rk.AccountKind.B2B)
    kit.scores.refresh(as_of=T0, kinds=["health"])
    assert (None, [acme.id]) == (
        kit.scores.kept(solo.id, "health"),
        [s.account_id for s in kit.scores.top("health", band="poor")],
    )


def test_bad_refresh_arguments_are_refused(kit: rk.RelationKit) -> None:
    """An unknown kind, lead without a model, or a bad page size raise; nothing is stored."""
    person = kit.customers.create(email="x@example.com")
    for kw in ({"kinds": ["vip"]}, {"kinds": ["lead"]}, {"page_size": 0}, {"kinds": "churn"}):
        with pytest.raises(ValidationError):
            kit.scores.refresh(as_of=T0, **kw)
    assert None is kit.scores.kept(person.id, "churn")
