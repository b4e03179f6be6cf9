"""The pure rules of analytics: quintiles, cut ranks, the segment map, units."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relationkit.domain.scores import (
    SEGMENT_MAP,
    SEGMENTS,
    cut_ranks,
    quintile,
    segment_of,
    unit_days,
)
from relationkit.errors import ValidationError


@given(st.integers(2, 400))
def test_quintile_is_pandas_qcut_of_first_ranks(n: int) -> None:
    """Scores equal ``pd.qcut(ranks, 5, labels=1..5)`` over ranks 1..n."""
    ranks = pd.Series(range(1, n + 1), dtype="float64")
    expected = pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype("int64").tolist()
    assert expected == [quintile(i, n) for i in range(1, n + 1)]


def test_a_population_of_one_scores_1() -> None:
    """A lone account scores 1 and has no cut rank."""
    assert (1, ()) == (quintile(1, 1), cut_ranks(1))


@given(st.integers(0, 400))
def test_cut_ranks_are_where_each_score_begins(n: int) -> None:
    """cut_ranks(n) lists, for scores 2..5 reached, the first rank scoring at least that."""
    scores = [quintile(i, n) for i in range(1, n + 1)]
    expected = tuple(
        next(i for i, s in enumerate(scores, start=1) if s >= score)
        for score in range(2, 6)
        if any(s >= score for s in scores)
    )
    assert expected == cut_ranks(n)


def test_quintile_refuses_a_rank_outside_the_population() -> None:
    """Rank 0 or past the population is a ValueError."""
    with pytest.raises(ValueError, match="rank"):
        quintile(0, 3)
    with pytest.raises(ValueError, match="rank"):
        quintile(4, 3)


def test_the_segment_map_covers_every_cell_with_every_segment() -> None:
    """25 cells (r, fm), each named, using all eleven segments."""
    cells = {(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    assert (cells, set(SEGMENTS)) == (set(SEGMENT_MAP), set(SEGMENT_MAP.values()))
    assert 11 == len(SEGMENTS)


@pytest.mark.parametrize(
    ("scores", "segment"),
    [
        ((5, 5, 5), "champions"),
        ((5, 1, 1), "new"),
        ((4, 1, 1), "promising"),
        ((4, 1, 2), "potential loyalist"),
        ((3, 3, 3), "need attention"),
        ((1, 5, 5), "cannot lose"),
        ((2, 3, 2), "at risk"),
        ((2, 1, 2), "about to sleep"),
        ((1, 1, 1), "lost"),
        ((1, 2, 1), "hibernating"),
    ],
)
def test_segment_of_reads_the_map_with_fm_rounded_half_up(
    scores: tuple[int, int, int], segment: str
) -> None:
    """fm = round-half-up((f + m) / 2): (2, 3, 2) has fm 3 and is "at risk", (2, 1, 2) fm 2."""
    r, f, m = scores
    assert segment == segment_of(r, f, m)
    assert SEGMENT_MAP[r, (f + m + 1) // 2] == segment_of(r, f, m)


def test_segment_of_refuses_scores_outside_1_to_5() -> None:
    """A score of 0 or 6 is a ValueError."""
    with pytest.raises(ValueError, match=r"1\.\.5"):
        segment_of(0, 3, 3)
    with pytest.raises(ValueError, match=r"1\.\.5"):
        segment_of(3, 6, 3)


def test_units_are_days_and_weeks_only() -> None:
    """``days`` is 1, ``weeks`` 7; a month has no fixed length and is refused."""
    assert (1, 7) == (unit_days("days"), unit_days("weeks"))
    with pytest.raises(ValidationError, match="unit"):
        unit_days("months")
