"""Moving an account's stage inside a transaction: the one place a move is applied.

The lifecycle service applies manual moves and the moves purchases trigger;
the scores apply the moves their thresholds trigger (a lead qualifying, an
account at risk). Both call :func:`apply_move`, so a stage change is
recorded, dated and announced the same way whoever makes it, and no service
imports another.
"""

from __future__ import annotations

import attrs

from relationkit import _validate as v
from relationkit._tx import Tx
from relationkit.domain.customers import Account
from relationkit.domain.lifecycle import StageChange
from relationkit.events import StageChanged

__all__ = ["apply_move"]


def apply_move(
    tx: Tx,
    account: Account,
    target: str,
    at: object,
    reason: str | None,
    *,
    automatic: bool,
    store: bool = True,
) -> StageChange:
    """Apply a move that has been checked; return the change.

    With ``store=False`` the caller inserts the change itself (in bulk).
    A move never goes back in time: it is dated no earlier than the
    current stage began (a backfilled 1997 order on an account created
    today moves it today).

    Args:
        tx: the transaction (``account`` is locked in it).
        account: the account as the transaction sees it.
        target: the new stage (the caller checked the graph allows it).
        at: when the move happens.
        reason: why, in words (None: no reason).
        automatic: made by a rule rather than by a person.
        store: insert the change now.
    """
    when = max(v.aware_utc(at, "at"), account.stage_since)
    change = StageChange(
        account_id=account.id,
        from_stage=account.stage,
        to_stage=target,
        at=when,
        reason=reason,
        automatic=automatic,
    )
    if store:
        tx.uow.stages.add_many([change])
    tx.put(attrs.evolve(account, stage=target, stage_since=when))
    tx.emit(
        account.id,
        StageChanged,
        from_stage=change.from_stage,
        to_stage=target,
        reason=reason,
        automatic=automatic,
    )
    return change
