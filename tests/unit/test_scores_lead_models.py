"""Building a lead model: every bad value raises ValidationError when the model is built."""

from __future__ import annotations

from collections.abc import Callable

import pendulum
import pytest

import relationkit as rk
from relationkit.domain.scoring import EngagementRule, LeadModel, StageThreshold
from relationkit.domain.scoring.rules import MAX_LOOKBACK_DAYS
from relationkit.errors import ValidationError
from relationkit.testing.base import T0

MAIL = EngagementRule.interaction("mail", 10, within_days=730)


def _field(build: Callable[[], object]) -> str:
    with pytest.raises(ValidationError) as caught:
        build()
    return caught.value.field


def _mail(kit: rk.RelationKit, days_ago: int) -> rk.Customer:
    person = kit.customers.create(email="m@example.com")
    kit.interactions.log(
        person.id,
        channel=rk.Channel.EMAIL,
        direction=rk.Direction.INBOUND,
        subject="s",
        occurred_at=T0.subtract(days=days_ago),
    )
    return person


def test_a_rule_looking_back_further_than_the_model_is_refused() -> None:
    """within_days above lookback_days raises at build, naming within_days and the rule."""
    with pytest.raises(ValidationError) as caught:
        LeadModel(rules=[MAIL])
    assert ("within_days", True) == (caught.value.field, "'mail'" in str(caught.value))
    assert 730 == LeadModel(rules=[MAIL], lookback_days=730).lookback_days


def test_a_fact_within_a_rules_window_is_read_when_the_lookback_covers_it(
    kit: rk.RelationKit,
) -> None:
    """A mail 500 days old counts for within_days=730 once lookback_days reaches 730."""
    person = _mail(kit, 500)
    model = LeadModel(rules=[MAIL], half_life_days=None, lookback_days=730)
    assert 10 == kit.scores.lead(person.id, model).score


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (10**7, "lookback_days"),
        (MAX_LOOKBACK_DAYS + 1, "lookback_days"),
        (0, "lookback_days"),
        (0.5, "lookback_days"),
        (365.0, "lookback_days"),
        (True, "lookback_days"),
    ],
)
def test_lookback_days_is_a_bounded_int(value: object, field: str) -> None:
    """lookback_days must be an int from 1 to MAX_LOOKBACK_DAYS (not a float, not a bool)."""
    assert field == _field(lambda: LeadModel(rules=[], lookback_days=value))


@pytest.mark.parametrize("value", [1.5, True, 0, MAX_LOOKBACK_DAYS + 1])
def test_within_days_is_a_whole_number_of_days(value: object) -> None:
    """A float, bool or out-of-range within_days raises, like lookback_days."""

    def rule() -> EngagementRule:
        return EngagementRule.purchase("p", 1, within_days=value)  # type: ignore[arg-type]

    assert "within_days" == _field(rule)


def test_the_longest_lookback_scores_near_the_first_instant(kit: rk.RelationKit) -> None:
    """A lookback reaching before year 1 reads from the first instant instead of overflowing."""
    person = kit.customers.create(email="old@example.com")
    model = LeadModel(
        rules=[EngagementRule.purchase("p", 1)], lookback_days=MAX_LOOKBACK_DAYS, half_life_days=1
    )
    early = pendulum.datetime(1, 3, 1, tz="UTC")
    score = kit.scores.lead(person.id, model, as_of=early)
    assert (0, early) == (score.score, score.as_of)


def test_unknown_channels_directions_and_options_raise_validation_errors() -> None:
    """A bad channel or direction, or a misspelt option, names the field it got wrong."""
    assert ["channel", "direction", "withn_days", "channel"] == [
        _field(lambda: EngagementRule.interaction("m", 1, channel="fax")),
        _field(lambda: EngagementRule.interaction("m", 1, direction="sideways")),
        _field(lambda: EngagementRule.interaction("m", 1, withn_days=3)),
        _field(
            lambda: EngagementRule(
                name="m",
                source="interaction",
                points=1,
                channel="fax",
            )
        ),
    ]
    assert ["source", "min_total", "max_count"] == [
        _field(lambda: EngagementRule(name="m", source="fax", points=1)),
        _field(lambda: EngagementRule.purchase("p", 1, min_total=5)),  # type: ignore[arg-type]
        _field(lambda: EngagementRule.stage("s", 1, max_count=0)),
    ]


def test_channel_and_direction_strings_become_their_enums() -> None:
    """Built from strings, a rule holds the Channel and Direction it will compare."""
    rule = EngagementRule.interaction("m", 1, channel="email", direction="inbound")
    assert (rk.Channel.EMAIL, rk.Direction.INBOUND) == (rule.channel, rule.direction)


def test_a_threshold_takes_stage_lists_and_an_int() -> None:
    """from_stages as one string, or an at_least not an int, raises; a list becomes a tuple."""
    assert ["from_stages", "from_stages", "at_least", "at_least", "to_stage"] == [
        _field(lambda: StageThreshold(at_least=5, to_stage="qualified", from_stages="lead")),
        _field(lambda: StageThreshold(at_least=5, to_stage="qualified", from_stages=[])),
        _field(lambda: StageThreshold(at_least="5", to_stage="qualified")),
        _field(lambda: StageThreshold(at_least=True, to_stage="qualified")),
        _field(lambda: StageThreshold(at_least=5, to_stage="")),
    ]
    assert ("lead",) == StageThreshold(at_least=5, to_stage="q", from_stages=["lead"]).from_stages
