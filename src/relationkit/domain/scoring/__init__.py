"""Scores: lead scoring rules, churn risk, account health, and the scores kept in the store.

Pure: every function here takes what it scores as arguments; the services in
``relationkit.services.scores`` load it from the store.
"""

from relationkit.domain.scoring.bands import Band, Bands
from relationkit.domain.scoring.churn import ChurnModel, ChurnReason, ChurnRisk, churn_risk
from relationkit.domain.scoring.health import (
    AccountHealth,
    ContactActivity,
    HealthFactor,
    HealthModel,
    RoleRecency,
    account_health,
)
from relationkit.domain.scoring.history import PurchaseDay
from relationkit.domain.scoring.kept import KeptScore, ScoreKind
from relationkit.domain.scoring.lead import GroupTotal, LeadScore, ScoreLine, score_lead
from relationkit.domain.scoring.rules import (
    EngagementRule,
    FitRule,
    LeadModel,
    Source,
    StageThreshold,
    Touch,
)

__all__ = [
    "AccountHealth",
    "Band",
    "Bands",
    "ChurnModel",
    "ChurnReason",
    "ChurnRisk",
    "ContactActivity",
    "EngagementRule",
    "FitRule",
    "GroupTotal",
    "HealthFactor",
    "HealthModel",
    "KeptScore",
    "LeadModel",
    "LeadScore",
    "PurchaseDay",
    "RoleRecency",
    "ScoreKind",
    "ScoreLine",
    "Source",
    "StageThreshold",
    "Touch",
    "account_health",
    "churn_risk",
    "score_lead",
]
