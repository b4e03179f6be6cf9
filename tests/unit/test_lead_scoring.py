"""Lead scoring: field expressions, fit and engagement rules, decay, caps, thresholds."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relationkit as rk
from relationkit.domain.fields import MISSING, F
from relationkit.domain.scoring import (
    EngagementRule,
    FitRule,
    LeadModel,
    Source,
    StageThreshold,
    Touch,
    score_lead,
)
from relationkit.errors import ValidationError
from relationkit.testing.base import T0


def _lookup(record: dict[str, object]):  # type: ignore[no-untyped-def]
    return lambda name: record.get(name, MISSING)


def test_field_names_come_from_a_closed_list() -> None:
    """An unknown field, or a bad attribute key, is refused when the expression is built."""
    with pytest.raises(ValidationError) as error:
        F("password")
    assert "field" == error.value.field
    with pytest.raises(ValidationError):
        F("attributes.a b")
    assert "attributes.industry" == F("attributes.industry").name


def test_values_are_plain_scalars_kept_as_values() -> None:
    """Values stay bound values in the tree; None, NaN and naive datetimes are refused."""
    expr = F("attributes.city") == "Lyon'; DROP TABLE x; --"
    assert "Lyon'; DROP TABLE x; --" == expr.value
    for bad in (None, float("nan"), pendulum.naive(2026, 1, 1), object()):
        with pytest.raises(ValidationError):
            F("stage") == bad  # noqa: B015


def test_missing_fields_follow_three_valued_logic() -> None:
    """A missing field is unknown: neither it nor its negation matches; OR with True does."""
    record = _lookup({"stage": "lead"})
    unknown = F("attributes.industry") == "retail"
    assert (None, None) == (unknown.evaluate(record), (~unknown).evaluate(record))
    assert (False, True) == (
        (unknown & (F("stage") == "customer")).evaluate(record),
        (unknown | (F("stage") == "lead")).evaluate(record),
    )
    assert F("attributes.industry").exists().evaluate(record) is False


@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_number_comparisons_match_python(left: int, right: int) -> None:
    """Each operator on numbers gives Python's answer; text never equals a number."""
    record = _lookup({"attributes.n": left})
    field = F("attributes.n")
    assert [
        left == right,
        left != right,
        left < right,
        left <= right,
        left > right,
        left >= right,
    ] == [
        (field == right).matches(record),
        (field != right).matches(record),
        (field < right).matches(record),
        (field <= right).matches(record),
        (field > right).matches(record),
        (field >= right).matches(record),
    ]
    assert (field == str(left)).evaluate(record) is None


def _model(**kw: object) -> LeadModel:
    rules = [
        FitRule(name="retail", when=F("attributes.industry") == "retail", points=30),
        EngagementRule.interaction("email reply", 10, channel=rk.Channel.EMAIL, group="email"),
        EngagementRule.interaction("meeting", 25, channel=rk.Channel.MEETING, group="email"),
    ]
    return LeadModel(rules=rules, **kw)  # type: ignore[arg-type]


def _touch(n: int, days_ago: float, channel: rk.Channel = rk.Channel.EMAIL) -> Touch:
    return Touch(
        source=Source.INTERACTION,
        ref=f"int_{n}",
        at=T0.subtract(seconds=int(days_ago * 86400)),
        channel=channel,
        direction=rk.Direction.INBOUND,
    )


def _account(kit: rk.RelationKit, **attributes: object) -> tuple[rk.Account, rk.Customer]:
    person = kit.customers.create(email="lead@example.com", attributes=dict(attributes))
    return kit.accounts.get(person.account_id), person


def test_decay_halves_a_fact_at_its_half_life(kit: rk.RelationKit) -> None:
    """A fact one half-life old gives half its points, two half-lives a quarter; fit is once."""
    account, person = _account(kit, industry="retail")
    score = score_lead(
        _model(half_life_days=30),
        account=account,
        people=[person],
        touches=[_touch(1, 30), _touch(2, 60)],
        as_of=T0,
    )
    assert [
        ("retail", 30.0, None),
        ("email reply", 5.0, _touch(1, 30).at),
        ("email reply", 2.5, _touch(2, 60).at),
    ] == [(line.rule, line.points, line.at) for line in score.lines]
    assert (38, "warm") == (score.score, score.band)
    assert person.id == score.lines[0].ref


def test_a_group_cap_bounds_what_its_rules_give(kit: rk.RelationKit) -> None:
    """Engagement rules of one group sum to at most its cap; the breakdown keeps the raw sum."""
    account, person = _account(kit, industry="other")
    touches = [_touch(n, 0) for n in range(5)] + [_touch(9, 0, rk.Channel.MEETING)]
    score = score_lead(
        _model(caps={"email": 40}), account=account, people=[person], touches=touches, as_of=T0
    )
    assert [("email", 75.0, 40, 40.0)] == [(g.group, g.raw, g.cap, g.total) for g in score.groups]
    assert 40 == score.score


def test_facts_after_as_of_or_past_the_window_do_not_count(kit: rk.RelationKit) -> None:
    """Facts after as_of or older than within_days give nothing; max_count keeps the newest."""
    account, person = _account(kit)
    rule = EngagementRule.interaction("visit", 10, within_days=7, max_count=2)
    model = LeadModel(rules=[rule], half_life_days=None)
    touches = [_touch(1, -1), _touch(2, 1), _touch(3, 2), _touch(4, 3), _touch(5, 8)]
    score = score_lead(model, account=account, people=[person], touches=touches, as_of=T0)
    assert ["int_2", "int_3"] == [line.ref for line in score.lines]
    assert 20 == score.score


def test_bad_models_are_refused() -> None:
    """Repeated rule names, caps of unused groups and non-int points raise ValidationError."""
    rule = EngagementRule.purchase("buy", 5)
    with pytest.raises(ValidationError):
        LeadModel(rules=[rule, rule])
    with pytest.raises(ValidationError):
        LeadModel(rules=[rule], caps={"nobody": 3})
    with pytest.raises(ValidationError):
        EngagementRule.purchase("buy", 1.5)  # type: ignore[arg-type]


def test_a_threshold_moves_a_lead_to_qualified(kit: rk.RelationKit, events: list[object]) -> None:
    """With move=True the threshold's move is applied, recorded and announced, once."""
    person = kit.customers.create(email="q@example.com", attributes={"industry": "retail"})
    kit.interactions.log(
        person.id,
        channel=rk.Channel.MEETING,
        direction=rk.Direction.INBOUND,
        subject="demo",
        occurred_at=T0,
    )
    model = _model(thresholds=[StageThreshold(at_least=50, to_stage="qualified")])

    preview = kit.scores.lead(person.id, model)
    assert ("qualified", "lead") == (preview.suggested_stage, kit.lifecycle.stage(person.id))
    moved = kit.scores.lead(person.id, model, move=True)

    assert (55, None, "qualified") == (
        moved.score,
        moved.suggested_stage,
        kit.lifecycle.stage(person.id),
    )
    change = kit.lifecycle.history(person.id)[-1]
    assert ("lead", "qualified", "lead score 55", True) == (
        change.from_stage,
        change.to_stage,
        change.reason,
        change.automatic,
    )
    moves = [
        e for e in events if isinstance(e, rk.events.StageChanged) and e.to_stage == "qualified"
    ]
    assert [("lead", True)] == [(e.from_stage, e.automatic) for e in moves]
    assert None is kit.scores.lead(person.id, model).suggested_stage


def test_a_threshold_naming_an_unknown_stage_is_refused(kit: rk.RelationKit) -> None:
    """A threshold whose stage the graph lacks raises before anything is read."""
    person = kit.customers.create(email="u@example.com")
    model = _model(thresholds=[StageThreshold(at_least=1, to_stage="promoted")])
    with pytest.raises(ValidationError):
        kit.scores.lead(person.id, model)


def test_purchase_and_stage_rules_read_the_store(kit: rk.RelationKit) -> None:
    """Purchase rules count orders of at least min_total; stage rules count lifecycle events."""
    person = kit.customers.create(email="p@example.com")
    kit.lifecycle.move(person.id, "qualified", reason="call")
    for n, total in enumerate(("5.00", "50.00")):
        kit.purchases.record(
            order_id=f"o-{n}", customer_id=person.id, occurred_at=T0, total=rk.Money(total, "EUR")
        )
    model = LeadModel(
        rules=[
            EngagementRule.purchase("big order", 20, min_total=rk.Money("20", "EUR")),
            EngagementRule.stage("qualified", 15, to_stage="qualified"),
        ]
    )
    score = kit.scores.lead(person.id, model)
    assert {"big order": 20.0, "qualified": 15.0} == score.by_rule()
    assert ["o-1"] == [line.ref for line in score.lines if line.rule == "big order"]
