"""``kit.loyalty``: the points ledger service, split by concern (see :mod:`.service`)."""

from relationkit.services.loyalty.service import (
    DueResult,
    LoyaltyService,
    LoyaltySummary,
    RebuildReport,
    VerifyReport,
)

__all__ = ["DueResult", "LoyaltyService", "LoyaltySummary", "RebuildReport", "VerifyReport"]
