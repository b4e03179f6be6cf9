"""The memory backend's tables: plain dicts and lists, shared by one store's transactions."""

from __future__ import annotations

from collections import defaultdict

import pendulum

from relationkit.domain.customers import Account, Customer
from relationkit.domain.holds import Hold
from relationkit.domain.interactions import Interaction
from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.parked import ParkedRefund
from relationkit.domain.points import LotKey, OpenLot, PointsState
from relationkit.domain.purchases import Purchase, Refund
from relationkit.domain.scoring.kept import KeptScore, ScoreKind
from relationkit.storage.ports.core import IdempotencyRecord

__all__ = ["Tables"]


class Tables:
    """Every table of one memory store."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.accounts_by_external: dict[str, str] = {}
        self.customers: dict[str, Customer] = {}
        self.customers_by_email: dict[str, str] = {}
        self.customers_by_external: dict[str, str] = {}
        self.customers_by_account: defaultdict[str, list[str]] = defaultdict(list)
        self.stages: defaultdict[str, list[StageChange]] = defaultdict(list)
        self.interactions: defaultdict[str, list[Interaction]] = defaultdict(list)
        self.interaction_ids: dict[str, str] = {}
        self.purchases: dict[str, Purchase] = {}
        self.purchases_by_account: defaultdict[str, list[str]] = defaultdict(list)
        self.refunds: dict[str, Refund] = {}
        self.ledger: defaultdict[str, list[LedgerEntry]] = defaultdict(list)
        self.ledger_ids: dict[str, LedgerEntry] = {}
        self.ledger_seqs: dict[tuple[str, int], str] = {}
        self.ledger_sources: defaultdict[tuple[str, str], list[LedgerEntry]] = defaultdict(list)
        self.points: dict[str, PointsState] = {}
        self.lots: dict[str, OpenLot] = {}
        self.lots_by_account: defaultdict[str, set[str]] = defaultdict(set)
        self.spendable_keys: dict[str, list[LotKey]] = {}
        # Pending lots by (unlock instant, id), per account: the soonest unlock.
        self.unlock_keys: dict[str, list[tuple[pendulum.DateTime, str]]] = {}
        self.idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self.scores: dict[tuple[str, ScoreKind], KeptScore] = {}
        self.score_history: dict[tuple[str, ScoreKind], dict[pendulum.DateTime, KeptScore]] = {}
        # Schema 6 (checkout): holds by id, parked refunds by refund id.
        self.holds: dict[str, Hold] = {}
        self.parked_refunds: dict[str, ParkedRefund] = {}
        # Time-sorted copies for timeline pages, each with the key it was
        # sorted under (memory.timeline); not data: never undone or copied.
        self.timeline_cache: dict[tuple[str, str], tuple[tuple[object, ...], list[object]]] = {}
