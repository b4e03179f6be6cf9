"""``kit.scores``: summaries, RFM and lifetime values over the kit's purchases.

Every method resolves its window once (:func:`.window.resolve_scope`: the
``as_of`` and ``since`` instants, the currency) and returns an object that
reads the store page by page when iterated. New analyses add a module of
their own beside these and one method here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pendulum

from relationkit import _validate as v
from relationkit._runtime import Context, Runner
from relationkit.domain.scores import unit_days
from relationkit.domain.scoring import (
    AccountHealth,
    ChurnModel,
    ChurnRisk,
    HealthModel,
    KeptScore,
    LeadModel,
    LeadScore,
)
from relationkit.services.scores import churn as churn_scores
from relationkit.services.scores import health as health_scores
from relationkit.services.scores import kept as kept_scores
from relationkit.services.scores import lead as lead_scores
from relationkit.services.scores.churn import AliveModel
from relationkit.services.scores.historical import HistoricalValues
from relationkit.services.scores.kept import RefreshReport
from relationkit.services.scores.rfm import RfmScores
from relationkit.services.scores.summary import PAGE_SIZE, PurchaseSummary
from relationkit.services.scores.window import Scope, resolve_scope

__all__ = ["ScoresService"]

Instant = pendulum.DateTime | dt.datetime | dt.date


class ScoresService:
    """``kit.scores``: customer analytics computed where the data lives.

    Args:
        runner: the kit's transaction runner.
        ctx: the kit's context (clock and time zone).
        page_size: accounts read per transaction when a result is walked.
    """

    def __init__(self, runner: Runner, ctx: Context, *, page_size: int = PAGE_SIZE) -> None:
        self._run = runner
        self._ctx = ctx
        self._page_size = v.positive_int(page_size, "page_size")

    def __repr__(self) -> str:
        return "<ScoresService>"

    def _scope(self, as_of: object, since: object, currency: object) -> Scope:
        return resolve_scope(self._run, self._ctx, as_of=as_of, since=since, currency=currency)

    def purchase_summary(
        self,
        *,
        as_of: Instant | None = None,
        unit: str = "weeks",
        since: Instant | None = None,
        currency: str | None = None,
    ) -> PurchaseSummary:
        """Return each account's frequency, recency, T and monetary value.

        Transactions are purchase days in the kit's time zone, net of
        refunds; see :mod:`relationkit.domain.scores` for the conventions and
        :mod:`relationkit.storage.ports.analytics` for what counts.

        Args:
            as_of: the end of the observation: an aware datetime, a date (the
                end of that day in the kit's time zone) or None (now).
                Purchases and refunds after it are ignored.
            unit: ``"days"`` or ``"weeks"`` for ``recency`` and ``T``.
            since: count only purchases at or after it (a date: its start).
            currency: the currency to read; required when the window holds
                purchases in more than one.

        Returns:
            An iterable of :class:`~relationkit.domain.scores.SummaryRow`, in
            account id order, streamed a page at a time; it has ``unit``,
            ``as_of``, ``since``, ``currency`` and ``to_pandas()``.

        Raises:
            ValidationError: an unknown unit or currency, a naive datetime,
                ``since`` after ``as_of``, or several currencies and no
                ``currency``.
        """
        days = unit_days(unit)
        return PurchaseSummary(
            self._run,
            self._scope(as_of, since, currency),
            unit=unit,
            unit_days=days,
            page_size=self._page_size,
        )

    def rfm(
        self,
        *,
        as_of: Instant | None = None,
        since: Instant | None = None,
        currency: str | None = None,
    ) -> RfmScores:
        """Return each account's RFM scores (1..5) and segment.

        Accounts with counted purchases are ranked on each measure, ties
        broken by account id; see :mod:`relationkit.services.scores.rfm` and
        :data:`relationkit.domain.scores.SEGMENT_MAP`.

        Args:
            as_of: as for :meth:`purchase_summary`.
            since: as for :meth:`purchase_summary`.
            currency: as for :meth:`purchase_summary`.

        Returns:
            An iterable of :class:`~relationkit.domain.scores.RfmRow` in
            account id order, with ``population`` and ``segment_counts()``.

        Raises:
            ValidationError: as for :meth:`purchase_summary`.
        """
        return RfmScores(self._run, self._scope(as_of, since, currency), page_size=self._page_size)

    def historical_clv(
        self,
        *,
        as_of: Instant | None = None,
        unit: str = "weeks",
        since: Instant | None = None,
        currency: str | None = None,
    ) -> HistoricalValues:
        """Return the historical lifetime value of each account, and ``overall()``.

        Average purchase value x purchase frequency x lifespan, each factor
        shown (:class:`~relationkit.domain.scores.HistoricalClv`).

        Args:
            as_of: as for :meth:`purchase_summary`.
            unit: ``"days"`` or ``"weeks"``: frequency per unit, lifespan in units.
            since: as for :meth:`purchase_summary`.
            currency: as for :meth:`purchase_summary`.

        Raises:
            ValidationError: as for :meth:`purchase_summary`.
        """
        days = unit_days(unit)
        return HistoricalValues(
            self._run,
            self._scope(as_of, since, currency),
            unit=unit,
            unit_days=days,
            page_size=self._page_size,
        )

    # -- lead, churn and health scores, and the scores kept (see .lead, .churn,
    # .health and .kept for what each reads and how)

    def lead(
        self, ref: str, model: LeadModel, *, as_of: Instant | None = None, move: bool = False
    ) -> LeadScore:
        """Return an account's lead score with its breakdown (see :func:`.lead.lead`)."""
        return lead_scores.lead(self._run, self._ctx, ref, model, as_of=as_of, move=move)

    def churn(
        self,
        ref: str,
        model: ChurnModel | None = None,
        *,
        as_of: Instant | None = None,
        alive: AliveModel | None = None,
        move: bool = False,
    ) -> ChurnRisk:
        """Return an account's churn risk with its reasons (see :func:`.churn.churn`)."""
        return churn_scores.churn(
            self._run, self._ctx, ref, model, as_of=as_of, alive=alive, move=move
        )

    def health(
        self, ref: str, model: HealthModel | None = None, *, as_of: Instant | None = None
    ) -> AccountHealth:
        """Return a B2B account's health with its factors (see :func:`.health.health`)."""
        return health_scores.health(self._run, self._ctx, ref, model, as_of=as_of)

    def refresh(
        self,
        *,
        as_of: Instant | None = None,
        kinds: Iterable[str] | None = None,
        lead: LeadModel | None = None,
        churn: ChurnModel | None = None,
        health: HealthModel | None = None,
        alive: AliveModel | None = None,
        page_size: int = 200,
        after: str | None = None,
        move_stages: bool = True,
    ) -> RefreshReport:
        """Compute and keep every account's scores, page by page (see :func:`.kept.refresh`)."""
        return kept_scores.refresh(
            self._run,
            self._ctx,
            as_of=as_of,
            kinds=kinds,
            lead=lead,
            churn=churn,
            health=health,
            alive=alive,
            page_size=page_size,
            after=after,
            move_stages=move_stages,
        )

    def kept(self, ref: str, kind: str) -> KeptScore | None:
        """Return an account's current kept score of ``kind`` (None: never refreshed)."""
        return kept_scores.kept(self._run, ref, kind)

    def history(
        self, ref: str, kind: str, *, after: pendulum.DateTime | None = None, limit: int = 100
    ) -> list[KeptScore]:
        """Return a page of an account's score snapshots of ``kind``, oldest first."""
        return kept_scores.history(self._run, ref, kind, after=after, limit=limit)

    def top(
        self,
        kind: str,
        *,
        band: str | None = None,
        limit: int = 100,
        after: KeptScore | None = None,
    ) -> list[KeptScore]:
        """Return a page of kept scores of ``kind``, highest first (ties by account id)."""
        return kept_scores.ranked(self._run, kind, band=band, limit=limit, after=after)
