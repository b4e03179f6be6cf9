"""Shared fits on the CDNOW sample (fitted once per test session)."""

from __future__ import annotations

import pendulum
import pytest

from clv.cdnow import Summary, calibration_summary
from relationkit import FrozenClock, clv

FIT_TIME = pendulum.datetime(2026, 1, 15, 9, 30, tz="UTC")


@pytest.fixture(scope="session")
def weeks() -> Summary:
    """The CDNOW sample's calibration summary in weeks."""
    return calibration_summary("weeks")


@pytest.fixture(scope="session")
def days() -> Summary:
    """The same summary in days."""
    return calibration_summary("days")


@pytest.fixture(scope="session")
def bgnbd(weeks: Summary) -> clv.BetaGeoModel:
    """BG/NBD fitted on the weekly summary."""
    return clv.BetaGeoModel.fit(weeks, clock=FrozenClock(FIT_TIME))


@pytest.fixture(scope="session")
def pareto(weeks: Summary) -> clv.ParetoNBDModel:
    """Pareto/NBD fitted on the weekly summary."""
    return clv.ParetoNBDModel.fit(weeks, clock=FrozenClock(FIT_TIME))


@pytest.fixture(scope="session")
def spend(weeks: Summary) -> clv.GammaGammaModel:
    """Gamma-Gamma fitted on the weekly summary's repeat buyers."""
    return clv.GammaGammaModel.fit(weeks, clock=FrozenClock(FIT_TIME))
