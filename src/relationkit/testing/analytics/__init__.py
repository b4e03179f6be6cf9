"""Analytics tests: every backend gives the same purchase summaries and RFM scores.

Random purchase histories (:func:`relationkit.testing.strategies.purchase_histories`:
refunds, several time zones, daylight-saving changes) are recorded through a
kit over a fresh store of the backend, then the kit's answers are compared
with an independent computation of the documented rules
(:mod:`relationkit.testing.analytics._support`). Memory, SQLite and
PostgreSQL all pass, so they agree with each other.

- :mod:`~relationkit.testing.analytics.summaries`: ``kit.scores.purchase_summary``
  and the storage port's pages;
- :mod:`~relationkit.testing.analytics.rfm`: ``kit.scores.rfm`` and the cut keys.

Added in 0.2.0.
"""

from __future__ import annotations

from relationkit.testing.analytics.rfm import RfmContract
from relationkit.testing.analytics.summaries import SummaryContract

__all__ = ["AnalyticsSuite", "RfmContract", "SummaryContract"]


class AnalyticsSuite(SummaryContract, RfmContract):
    """Every analytics test: subclass it with a ``Test`` name to run this level alone."""
