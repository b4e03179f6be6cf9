"""``kit.scores``: customer analytics computed where the data lives.

- :mod:`.window`: which purchases an analysis reads (``as_of``, ``since``,
  currency), resolved once per call;
- :mod:`.summary`: the purchase summary of the customer-base literature;
- :mod:`.rfm`: RFM quintile scores and named segments;
- :mod:`.historical`: the practitioners' historical lifetime value;
- :mod:`.service`: :class:`ScoresService`, which hands each out.
"""

from relationkit.services.scores.service import ScoresService

__all__ = ["ScoresService"]
