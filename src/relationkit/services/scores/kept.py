"""Keeping scores: ``refresh`` computes and stores them for every account, page by page.

Each page of accounts is one write transaction that, for each kind asked:

1. skips the accounts that already have a snapshot of that kind at this
   ``as_of`` (a refresh interrupted by a crash resumes where it stopped;
   running it twice for one ``as_of`` changes nothing);
2. computes the others' scores, appends their snapshots, and replaces
   their current rows when this ``as_of`` is not older than the kept one
   (back-filling history never rolls the current score back);
3. emits :class:`~relationkit.events.ScoreChanged` for every account whose
   band differs from its current row's, and applies the stage moves the
   models' thresholds call for (a lead qualifying, an account at risk).

Health is a B2B score: only B2B accounts get one. Reads of kept scores are
here too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._runtime import Context, Runner
from relationkit._tx import Tx
from relationkit.domain.customers import Account, AccountKind
from relationkit.domain.scoring.churn import ChurnModel
from relationkit.domain.scoring.health import HealthModel
from relationkit.domain.scoring.kept import KeptScore, ScoreKind
from relationkit.domain.scoring.rules import LeadModel
from relationkit.errors import StorageError, ValidationError
from relationkit.events import ScoreChanged
from relationkit.services._refs import resolve
from relationkit.services.scores import churn as churn_scores
from relationkit.services.scores import health as health_scores
from relationkit.services.scores import lead as lead_scores
from relationkit.services.scores._facts import resolve_as_of
from relationkit.storage.ports.scores import KeptScores, ScoreRepository

__all__ = ["RefreshReport", "history", "kept", "ranked", "refresh", "score_kind"]

MAX_PAGE = 5000


@attrs.frozen(kw_only=True)
class RefreshReport:
    """What a refresh did.

    Attributes:
        as_of: the instant scored.
        kinds: the kinds computed.
        accounts: accounts visited.
        computed: scores computed and stored, by kind.
        skipped: scores already kept for this ``as_of`` (left alone), by kind.
        band_changes: :class:`~relationkit.events.ScoreChanged` events emitted.
        stage_moves: stage moves the thresholds applied.
        last_account_id: the last account visited (None: none).
    """

    as_of: pendulum.DateTime
    kinds: tuple[ScoreKind, ...]
    accounts: int
    computed: dict[str, int]
    skipped: dict[str, int]
    band_changes: int
    stage_moves: int
    last_account_id: str | None


def score_kind(value: object) -> ScoreKind:
    """Return ``value`` as a ScoreKind.

    Raises:
        ValidationError: not one of ``lead``, ``churn``, ``health``.
    """
    try:
        return ScoreKind(value if isinstance(value, str) else "")
    except ValueError:
        known = ", ".join(k.value for k in ScoreKind)
        raise ValidationError("kind", f"must be one of {known}") from None


def _store(tx: Tx) -> ScoreRepository:
    uow = tx.uow
    if not isinstance(uow, KeptScores):
        raise StorageError(
            "this store does not keep scores (its unit of work has no 'scores' repository, "
            "see relationkit.storage.ports.scores); compute them with kit.scores.lead, "
            "churn or health instead"
        )
    return uow.scores


@attrs.define
class _Page:
    accounts: int = 0
    computed: dict[str, int] = attrs.field(factory=dict)
    skipped: dict[str, int] = attrs.field(factory=dict)
    band_changes: int = 0
    stage_moves: int = 0
    last: str | None = None


@attrs.frozen(kw_only=True)
class _Plan:
    as_of: pendulum.DateTime
    kinds: tuple[ScoreKind, ...]
    lead: LeadModel | None
    churn: ChurnModel
    health: HealthModel
    alive: churn_scores.AliveModel | None
    move_stages: bool


Scorer = Callable[[Tx, Account], tuple[int, str, Callable[[Tx], bool]]]


def _scorer(ctx: Context, plan: _Plan, kind: ScoreKind) -> Scorer:
    """Return a function scoring one account: (score, band, apply its stage move)."""
    if kind is ScoreKind.LEAD:
        model = plan.lead
        assert model is not None

        def lead(tx: Tx, account: Account) -> tuple[int, str, Callable[[Tx], bool]]:
            found = lead_scores.score_account(tx, ctx, account, model, plan.as_of)
            return (
                found.score,
                found.band,
                lambda t: lead_scores.move_lead(t, ctx, found) is not None,
            )

        return lead
    if kind is ScoreKind.CHURN:

        def churn(tx: Tx, account: Account) -> tuple[int, str, Callable[[Tx], bool]]:
            found = churn_scores.score_account(
                tx, ctx, account, plan.churn, plan.as_of, alive=plan.alive
            )
            return (
                found.score,
                found.band,
                lambda t: churn_scores.move_at_risk(t, ctx, found) is not None,
            )

        return churn

    def health(tx: Tx, account: Account) -> tuple[int, str, Callable[[Tx], bool]]:
        found = health_scores.score_account(tx, ctx, account, plan.health, plan.as_of)
        return found.score, found.band, lambda _t: False

    return health


def _page(tx: Tx, ctx: Context, plan: _Plan, after: str | None, size: int) -> _Page:
    store = _store(tx)
    ids = tx.uow.accounts.ids(after=after, limit=size)
    result = _Page(accounts=len(ids), last=ids[-1] if ids else None)
    accounts = tx.uow.accounts.get_many(ids)
    for kind in plan.kinds:
        wanted = [
            a for a in ids if kind is not ScoreKind.HEALTH or accounts[a].kind is AccountKind.B2B
        ]
        done = store.snapshotted(kind, plan.as_of, wanted)
        todo = [a for a in wanted if a not in done]
        result.skipped[kind.value] = len(done)
        result.computed[kind.value] = len(todo)
        if not todo:
            continue
        score = _scorer(ctx, plan, kind)
        fresh: list[KeptScore] = []
        moves: dict[str, Callable[[Tx], bool]] = {}
        for account_id in todo:
            value, band, move = score(tx, accounts[account_id])
            fresh.append(
                KeptScore(
                    account_id=account_id,
                    kind=kind,
                    as_of=plan.as_of,
                    score=value,
                    band=band,
                    computed_at=tx.now,
                )
            )
            moves[account_id] = move
        store.add_snapshots(fresh)
        current = store.current(kind, todo)
        newer = [
            s
            for s in fresh
            if s.account_id not in current or current[s.account_id].as_of <= plan.as_of
        ]
        store.put_current(newer)
        for new in newer:
            old = current.get(new.account_id)
            if old is None or old.band != new.band:
                tx.emit(
                    new.account_id,
                    ScoreChanged,
                    kind=kind.value,
                    old_band=None if old is None else old.band,
                    new_band=new.band,
                    old_score=None if old is None else old.score,
                    new_score=new.score,
                    as_of=plan.as_of,
                )
                result.band_changes += 1
            if plan.move_stages and moves[new.account_id](tx):
                result.stage_moves += 1
    return result


def _kinds(kinds: Iterable[object] | None, lead: LeadModel | None) -> tuple[ScoreKind, ...]:
    if kinds is None:
        found = [ScoreKind.CHURN, ScoreKind.HEALTH]
        if lead is not None:
            found.insert(0, ScoreKind.LEAD)
        return tuple(found)
    if isinstance(kinds, str):
        raise ValidationError("kinds", "must be a list of kinds, not one string")
    found = list(dict.fromkeys(score_kind(k) for k in kinds))
    if not found:
        raise ValidationError("kinds", "must name at least one kind")
    if ScoreKind.LEAD in found and lead is None:
        raise ValidationError("lead", "a LeadModel is needed to refresh lead scores")
    return tuple(found)


def refresh(
    runner: Runner,
    ctx: Context,
    *,
    as_of: object = None,
    kinds: Iterable[object] | None = None,
    lead: LeadModel | None = None,
    churn: ChurnModel | None = None,
    health: HealthModel | None = None,
    alive: churn_scores.AliveModel | None = None,
    page_size: int = 200,
    after: str | None = None,
    move_stages: bool = True,
) -> RefreshReport:
    """Compute and keep the scores of every account, one transaction per page.

    Args:
        runner: the kit's runner.
        ctx: the kit's context.
        as_of: the instant scored (None: now; a date: the end of that day).
            Pass the same one to resume or repeat a refresh.
        kinds: which kinds (default: lead when ``lead`` is given, churn, health).
        lead: the lead-scoring rules.
        churn: the churn model (None: defaults).
        health: the health model (None: defaults).
        alive: a fitted model for churn's probability alive.
        page_size: accounts per transaction.
        after: start after this account id (None: from the first).
        move_stages: apply the thresholds' stage moves.

    Raises:
        ValidationError: bad arguments (nothing is written).
        StorageError: the store does not keep scores.
    """
    if lead is not None:
        lead = lead_scores.check_model(lead, ctx)
    if churn is not None and not isinstance(churn, ChurnModel):
        raise ValidationError("churn", "must be a ChurnModel")
    if health is not None and not isinstance(health, HealthModel):
        raise ValidationError("health", "must be a HealthModel")
    size = v.positive_int(page_size, "page_size", maximum=MAX_PAGE)
    cursor = None if after is None else v.identifier(after, "after")
    plan = _Plan(
        as_of=resolve_as_of(ctx, as_of),
        kinds=_kinds(kinds, lead),
        lead=lead,
        churn=churn or ChurnModel(),
        health=health or HealthModel(),
        alive=alive,
        move_stages=bool(move_stages),
    )
    total = _Page(
        computed={k.value: 0 for k in plan.kinds}, skipped={k.value: 0 for k in plan.kinds}
    )
    while True:
        page = runner.write(functools.partial(_page, ctx=ctx, plan=plan, after=cursor, size=size))
        total.accounts += page.accounts
        for kind in page.computed:
            total.computed[kind] += page.computed[kind]
            total.skipped[kind] += page.skipped[kind]
        total.band_changes += page.band_changes
        total.stage_moves += page.stage_moves
        if page.last is not None:
            total.last = cursor = page.last
        if page.accounts < size:
            break
    return RefreshReport(
        as_of=plan.as_of,
        kinds=plan.kinds,
        accounts=total.accounts,
        computed=total.computed,
        skipped=total.skipped,
        band_changes=total.band_changes,
        stage_moves=total.stage_moves,
        last_account_id=total.last,
    )


def kept(runner: Runner, ref: str, kind: object) -> KeptScore | None:
    """Return an account's current kept score of ``kind`` (None: never refreshed)."""
    wanted = score_kind(kind)

    def work(tx: Tx) -> KeptScore | None:
        account_id = resolve(tx, ref)
        return _store(tx).current(wanted, [account_id]).get(account_id)

    return runner.read(work)


def history(
    runner: Runner,
    ref: str,
    kind: object,
    *,
    after: pendulum.DateTime | None = None,
    limit: int = 100,
) -> list[KeptScore]:
    """Return a page of an account's snapshots of ``kind``, oldest first."""
    wanted = score_kind(kind)
    size = v.positive_int(limit, "limit", maximum=MAX_PAGE)
    since = None if after is None else v.aware_utc(after, "after")

    def work(tx: Tx) -> list[KeptScore]:
        return _store(tx).history(resolve(tx, ref), wanted, after=since, limit=size)

    return runner.read(work)


def ranked(
    runner: Runner,
    kind: object,
    *,
    band: str | None = None,
    limit: int = 100,
    after: KeptScore | None = None,
) -> list[KeptScore]:
    """Return current scores of ``kind``, highest first (ties by account id), one page."""
    wanted = score_kind(kind)
    size = v.positive_int(limit, "limit", maximum=MAX_PAGE)
    chosen = None if band is None else v.text(band, "band", max_length=32)
    cursor = None if after is None else (after.score, after.account_id)
    return runner.read(
        lambda tx: _store(tx).ranked(wanted, band=chosen, limit=size, after=cursor), analytics=True
    )
