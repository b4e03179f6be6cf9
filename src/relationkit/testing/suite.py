"""The entry point for adapters: every level of the shipped suite in one class.

See :mod:`relationkit.testing` for how to use it.

Added in 0.2.0.
"""

from __future__ import annotations

from relationkit.testing.analytics import AnalyticsSuite
from relationkit.testing.behaviour import BehaviourSuite
from relationkit.testing.checkout import CheckoutSuite
from relationkit.testing.loyalty import LoyaltySuite
from relationkit.testing.machines.suite import MachineSuite
from relationkit.testing.port import PortSuite
from relationkit.testing.scores import ScoresSuite

__all__ = ["AdapterSuite"]


class AdapterSuite(
    PortSuite,
    BehaviourSuite,
    LoyaltySuite,
    MachineSuite,
    AnalyticsSuite,
    ScoresSuite,
    CheckoutSuite,
):
    """Port, behaviour, loyalty and state-machine tests of one storage adapter.

    Subclass it with a ``Test`` name, implement ``make_storage()`` (and
    ``make_second_handle()`` when declaring ``second_handle`` or ``reopen``),
    and set ``requirements``.
    """
